namespace BlitzScale.Grains.Interfaces;

/// <summary>
/// The keys of the cluster's singleton grains. Per-entity keys are types with one format and one parse:
/// <see cref="Keys.GpuKey"/>, <see cref="Keys.ShardKey"/>, <see cref="Keys.HostMemoryKey"/>.
/// </summary>
public static class GrainKeys
{
    /// <summary>The key of the topology grain and the model registry (one each per cluster).</summary>
    public const string Cluster = "cluster";
}
