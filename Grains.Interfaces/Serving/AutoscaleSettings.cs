namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// A deployment's autoscaler (<see cref="DeployRequest.Autoscale"/>): each field left null takes the autoscaler's default
/// (docs/configuration.md lists them). The model grain checks them at deploy and names the field it refuses.
/// </summary>
[GenerateSerializer, Immutable, Alias("blitz.AutoscaleSettings")]
public sealed record AutoscaleSettings
{
    /// <summary>Fewest active instances; 0 scales to zero after <see cref="IdleTimeoutMs"/> (default 1).</summary>
    [Id(0)] public int? MinInstances { get; init; }
    /// <summary>Most active instances, loading ones counted (default 8).</summary>
    [Id(1)] public int? MaxInstances { get; init; }
    /// <summary>Prefill load, a share of capacity, under which an instance may be drained (default 0.5).</summary>
    [Id(2)] public double? PrefillScaleDown { get; init; }
    /// <summary>Prefill load above which instances are added (default 0.7).</summary>
    [Id(3)] public double? PrefillScaleUp { get; init; }
    /// <summary>Decode load (KV blocks in use) under which an instance may be drained (default 0.75).</summary>
    [Id(4)] public double? DecodeScaleDown { get; init; }
    /// <summary>Decode load above which instances are added (default 0.95).</summary>
    [Id(5)] public double? DecodeScaleUp { get; init; }
    /// <summary>How long the load must stay under both down thresholds before one instance drains (default 333 ms).</summary>
    [Id(6)] public double? ScaleDownDelayMs { get; init; }
    /// <summary>How long a newly serving instance's samples are left out of the capacity estimate (default 1000 ms).</summary>
    [Id(7)] public double? WarmUpMs { get; init; }
    /// <summary>How often the model grain decides (default 100 ms).</summary>
    [Id(8)] public double? TickIntervalMs { get; init; }
    /// <summary>With minimum 0: how long the model must be idle before its last instance drains (default 30000 ms).</summary>
    [Id(9)] public double? IdleTimeoutMs { get; init; }
    /// <summary>Queued prompt tokens an instance prefills in this window are a prefill load of 1 (default 1000 ms).</summary>
    [Id(10)] public double? PrefillWindowMs { get; init; }
    /// <summary>How long a drained instance stays Warm on its GPU before the GPU is released (default 10000 ms).</summary>
    [Id(11)] public double? WarmKeepMs { get; init; }
}
