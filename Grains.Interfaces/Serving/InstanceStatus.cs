namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>One instance of a model as its shard reports it.</summary>
[GenerateSerializer, Immutable, Alias("blitz.InstanceStatus")]
public sealed record InstanceStatus(
    [property: Id(0)] int Instance,
    [property: Id(1)] string Shard,
    [property: Id(2)] string Gpu,
    [property: Id(3)] InstanceState State,
    [property: Id(4)] int LoadedLayers,
    [property: Id(5)] int TotalLayers,
    [property: Id(6)] int Waiting,
    [property: Id(7)] int Running,
    [property: Id(8)] int KvBlocksUsed,
    [property: Id(9)] int KvBlocksTotal,
    [property: Id(10)] long TokensGenerated,
    [property: Id(11)] double TokensPerSecond,
    [property: Id(12)] string? Error);
