namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// What a layer shard is told to become: which GPU, which model files, which batching, and where its parameters come
/// from (feeds in blob order; storage when none). A deferred load reserves memory and registers its image with the data
/// plane, then waits for <see cref="ILayerShardGrain.Begin"/>: a chain's nodes must all be registered before any fetches.
/// <c>Fallback</c>: where the whole image can come from without any GPU of the plan (the host copy on a host none of the feeds
/// comes from, else storage), fetched from what landed when a source is lost and the model grain does not plan the load again
/// in time; null for none.
/// </summary>
[GenerateSerializer, Immutable, Alias("blitz.ShardLoadRequest")]
public sealed record ShardLoadRequest(
    [property: Id(0)] string Gpu,
    [property: Id(1)] string ModelDirectory,
    [property: Id(2)] int? KvBlocks,
    [property: Id(3)] int? MaxBatchTokens,
    [property: Id(4)] IReadOnlyList<LoadFeed>? Feeds = null,
    [property: Id(5)] bool Deferred = false,
    [property: Id(6)] IReadOnlyList<LoadFeed>? Fallback = null);
