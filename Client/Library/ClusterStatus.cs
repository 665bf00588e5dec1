using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;

namespace BlitzScale.Client;

/// <summary>The whole grid: hosts with their GPUs, the deployed models with their instances, and each host's model copies in memory.</summary>
public sealed record ClusterStatus(IReadOnlyList<HostStatus> Hosts, IReadOnlyList<ModelStatus> Models, IReadOnlyList<HostMemoryStatus> HostMemory)
{
    /// <summary>The parts that did not answer (a model, a host's memory), each with why; the rest of the status is complete.</summary>
    public IReadOnlyList<string> Unanswered { get; init; } = [];
}

/// <summary>One host and its GPUs.</summary>
/// <param name="Host">What the host's silo declared.</param>
/// <param name="Gpus">Its GPUs; empty when it did not answer.</param>
/// <param name="Unreachable">Null when the host answered; else why it did not (its silo is down, or did not answer in time).</param>
public sealed record HostStatus(HostInfo Host, IReadOnlyList<GpuStatus> Gpus, string? Unreachable = null);
