namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// What a layer shard is told to become: which GPU, which model files, which batching, and where its parameters come
/// from (feeds in blob order; storage when none). A deferred load reserves memory and registers its image with the data
/// plane, then waits for <see cref="ILayerShardGrain.Begin"/>: a chain's nodes must all be registered before any fetches.
/// <c>Fallbacks</c>: where the whole image can come from without the hosts the plan's feeds come from, in the order to try
/// (a GPU holding the model or the host copy on another host, then storage), fetched from what landed when a source is lost
/// and the model grain does not plan the load again in time; one that fails too is followed by the next. Null for none.
/// </summary>
[GenerateSerializer, Immutable, Alias("blitz.ShardLoadRequest")]
public sealed record ShardLoadRequest(
    [property: Id(0)] string Gpu,
    [property: Id(1)] string ModelDirectory,
    [property: Id(2)] int? KvBlocks,
    [property: Id(3)] int? MaxBatchTokens,
    [property: Id(4)] IReadOnlyList<LoadFeed>? Feeds = null,
    [property: Id(5)] bool Deferred = false,
    // Id 6 was one fallback, before a list of them in order.
    [property: Id(7)] IReadOnlyList<IReadOnlyList<LoadFeed>>? Fallbacks = null);
