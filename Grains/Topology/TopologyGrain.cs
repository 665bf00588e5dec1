using BlitzScale.Grains.Interfaces.Topology;

namespace BlitzScale.Grains.Topology;

/// <summary>
/// The hosts their silos declared, less those whose silo has left the cluster. A silo this silo's membership view does not
/// know yet counts as present: it registered from its Active stage, and the view here may trail by a few seconds.
/// </summary>
internal sealed class TopologyGrain(IClusterMembershipService membership) : Grain, ITopologyGrain
{
    private readonly Dictionary<string, HostInfo> _hosts = new(StringComparer.Ordinal);

    public Task RegisterHost(HostInfo host)
    {
        _hosts[host.Host] = host;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<HostInfo>> GetHosts()
    {
        var gone = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status is SiloStatus.Dead or SiloStatus.ShuttingDown or SiloStatus.Stopping)
            .Select(m => m.SiloAddress.ToString())
            .ToHashSet(StringComparer.Ordinal);
        IReadOnlyList<HostInfo> hosts = _hosts.Values
            .Where(h => !gone.Contains(h.SiloAddress))
            .OrderBy(h => h.Host, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(hosts);
    }
}
