using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;

namespace BlitzScale.Client;

/// <summary>The whole grid: hosts with their GPUs, the deployed models with their instances, and each host's model copies in memory.</summary>
public sealed record ClusterStatus(IReadOnlyList<HostStatus> Hosts, IReadOnlyList<ModelStatus> Models, IReadOnlyList<HostMemoryStatus> HostMemory);

/// <summary>One host and its GPUs.</summary>
public sealed record HostStatus(HostInfo Host, IReadOnlyList<GpuStatus> Gpus);
