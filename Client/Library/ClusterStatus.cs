using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;

namespace BlitzScale.Client;

/// <summary>The whole grid: hosts with their GPUs, and the deployed models with their instances.</summary>
public sealed record ClusterStatus(IReadOnlyList<HostStatus> Hosts, IReadOnlyList<ModelStatus> Models);

/// <summary>One host and its GPUs.</summary>
public sealed record HostStatus(HostInfo Host, IReadOnlyList<GpuStatus> Gpus);
