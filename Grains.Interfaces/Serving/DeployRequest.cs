namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>Deploys a model: where its files are, how many instances, optionally on which GPUs and with what batching.</summary>
[GenerateSerializer, Immutable, Alias("blitz.DeployRequest")]
public sealed record DeployRequest
{
    /// <summary>Default of <see cref="MaxQueuedRequests"/>.</summary>
    public const int DefaultMaxQueuedRequests = 1024;
    /// <summary>The largest <see cref="MaxQueuedRequests"/> accepted.</summary>
    public const int MaxMaxQueuedRequests = 1_000_000;

    /// <summary>The Hugging Face model directory, as seen from the hosts (each host reads its own copy).</summary>
    [Id(0)] public required string ModelDirectory { get; init; }
    /// <summary>Number of instances.</summary>
    [Id(1)] public int Instances { get; init; } = 1;
    /// <summary>GPU keys (<c>"{host}/gpu{i}"</c>) to use, one per instance; chosen by the model grain when empty.</summary>
    [Id(2)] public IReadOnlyList<string>? Gpus { get; init; }
    /// <summary>KV-cache blocks per instance; sized from the GPU's free memory when null.</summary>
    [Id(3)] public int? KvBlocks { get; init; }
    /// <summary>Tokens per batching step; the engine default when null.</summary>
    [Id(4)] public int? MaxBatchTokens { get; init; }
    /// <summary>How instances get their parameters and which host-memory copies are kept (see <see cref="LoadPolicy"/>).</summary>
    [Id(5)] public LoadPolicy Policy { get; init; } = LoadPolicy.Blitz;
    /// <summary>
    /// <see cref="LoadPolicy.Sllm"/> only: how long a host keeps the model in its memory cache after its last load
    /// from there; 300 s when null.
    /// </summary>
    [Id(6)] public double? KeepAliveSeconds { get; init; }
    /// <summary>
    /// Most requests the model holds while no instance can take them (instances still loading); one more is refused with
    /// <see cref="AdmissionQueueFullException"/>. 0 holds none; <see cref="DefaultMaxQueuedRequests"/> when null.
    /// </summary>
    [Id(7)] public int? MaxQueuedRequests { get; init; }
    /// <summary>
    /// The model's autoscaler: it adds and drains instances on load between its minimum and maximum, starting from
    /// <see cref="Instances"/>. Null (the default) runs none: the instance count changes only when asked (<c>static</c>).
    /// </summary>
    [Id(8)] public AutoscaleSettings? Autoscale { get; init; }
    /// <summary>Defaults for <see cref="DrainSeconds"/>.</summary>
    public const double DefaultDrainSeconds = 30;
    /// <summary>
    /// How long a stopped instance (scale down, undeploy) lets its requests finish before it is unloaded; requests still
    /// running then resume on another instance (<see cref="GridGeneration.GenerateAsync"/>). Null is <see cref="DefaultDrainSeconds"/>.
    /// </summary>
    [Id(9)] public double? DrainSeconds { get; init; }
    /// <summary>
    /// Late binding (the default): an instance takes a request only while it has a free seat (fewer open requests than it
    /// runs at once, fewer KV blocks reserved than it has); the rest wait at the model, first come first served, for the
    /// first instance that frees a seat or starts taking requests. False routes every request on arrival to the instance
    /// with the least outstanding tokens, where it waits in that instance's queue.
    /// </summary>
    [Id(10)] public bool LateBinding { get; init; } = true;
}
