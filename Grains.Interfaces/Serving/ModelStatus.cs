namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// A deployed model: its instances (Warm ones included), its queue, its throughput, its load policy, the hosts holding a
/// host-memory copy, and, when it has an autoscaler, its settings and its last decisions (oldest first).
/// <see cref="DrainSeconds"/> is how long a stopped instance's requests have to finish (<see cref="DeployRequest.DrainSeconds"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("blitz.ModelStatus")]
public sealed record ModelStatus(
    [property: Id(0)] string Model,
    [property: Id(1)] string ModelDirectory,
    [property: Id(2)] IReadOnlyList<InstanceStatus> Instances,
    [property: Id(3)] int QueueLength,
    [property: Id(4)] double TokensPerSecond,
    [property: Id(5)] LoadPolicy Policy = LoadPolicy.Blitz,
    [property: Id(6)] IReadOnlyList<string>? HostCopies = null,
    [property: Id(7)] IReadOnlyList<ScalingRecord>? Scaling = null,
    [property: Id(8)] AutoscaleSettings? Autoscale = null,
    [property: Id(9)] double DrainSeconds = DeployRequest.DefaultDrainSeconds);
