namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>What a layer shard is told to become: which GPU, which model files, which batching.</summary>
[GenerateSerializer, Immutable, Alias("blitz.ShardLoadRequest")]
public sealed record ShardLoadRequest(
    [property: Id(0)] string Gpu,
    [property: Id(1)] string ModelDirectory,
    [property: Id(2)] int? KvBlocks,
    [property: Id(3)] int? MaxBatchTokens);
