namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>A deployed model: its instances, its queue and its throughput.</summary>
[GenerateSerializer, Immutable, Alias("blitz.ModelStatus")]
public sealed record ModelStatus(
    [property: Id(0)] string Model,
    [property: Id(1)] string ModelDirectory,
    [property: Id(2)] IReadOnlyList<InstanceStatus> Instances,
    [property: Id(3)] int QueueLength,
    [property: Id(4)] double TokensPerSecond);
