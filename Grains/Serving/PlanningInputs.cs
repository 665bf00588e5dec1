using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Scaling.Planning;

namespace BlitzScale.Grains.Serving;

/// <summary>Builds the planner's input from the cluster's hosts and the model's instances. Pure.</summary>
internal static class PlanningInputs
{
    /// <summary>A host as the planner sees it.</summary>
    public static HostSpec Spec(HostInfo host) => new(host.Host, host.NicGbps, host.LeafSwitch, host.HostToDeviceGBps);

    /// <param name="hosts">The hosts as their silos declared them.</param>
    /// <param name="blobSizes">The model's blob sizes.</param>
    /// <param name="sources">GPUs holding the whole model that may send (Warm ones included: they serve nobody).</param>
    /// <param name="hostCopy">The host holding the model's one host copy, if any.</param>
    /// <param name="targets">The GPUs to load.</param>
    public static PlanningInput Build(
        IReadOnlyList<HostInfo> hosts, IReadOnlyList<long> blobSizes, IEnumerable<string> sources, string? hostCopy, IReadOnlyList<string> targets)
    {
        var hostSpecs = hosts.Select(Spec).ToList();
        var gpus = hosts.SelectMany(h => Enumerable.Range(0, h.Gpus)
            .Select(i => new GpuSpec(new GpuKey(h.Host, i).ToString(), h.Host, h.NvlinkGroup))).ToList();
        var gpuSources = sources.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(g => new GpuSource(g)).ToList();
        return new PlanningInput(hostSpecs, gpus, blobSizes, gpuSources, hostCopy, targets);
    }
}
