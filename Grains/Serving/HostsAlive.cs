using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Scaling.Instances;

namespace BlitzScale.Grains.Serving;

/// <summary>Which hosts still have their silo, and which instances of a model can send from them. Pure.</summary>
internal static class HostsAlive
{
    /// <summary>
    /// The names of <paramref name="hosts"/> (a topology read) whose registered silo is not among <paramref name="deadSilos"/>.
    /// Membership tells the model grain of a death before the topology grain, on another silo, may have heard of it: that read
    /// can still list the dead silo's host, and a host dropped from neither would keep its instances and host copy for good
    /// (in bench chaos a silo-kill's instance stayed 4 s, until a request's probe found it gone, and every scale-up meanwhile
    /// failed on it as a source).
    /// </summary>
    public static IReadOnlySet<string> Names(IReadOnlyList<HostInfo> hosts, IReadOnlyCollection<string> deadSilos)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        ArgumentNullException.ThrowIfNull(deadSilos);
        return hosts.Where(h => !deadSilos.Contains(h.SiloAddress)).Select(h => h.Host).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// The instances of <paramref name="sources"/> on one of <paramref name="hosts"/>. A source on a host the topology no longer
    /// lists (its silo died, and membership has not yet dropped its instances) can send nothing, and the planner refuses a GPU
    /// it does not know: left in, it failed every scale-up until the instance was dropped.
    /// </summary>
    public static IReadOnlyList<InstanceLifecycle> Sending(IEnumerable<InstanceLifecycle> sources, IReadOnlyList<HostInfo> hosts)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(hosts);
        var listed = hosts.Select(h => h.Host).ToHashSet(StringComparer.Ordinal);
        return [.. sources.Where(s => listed.Contains(s.Host))];
    }
}
