using BlitzScale.Grains.Interfaces.Topology;

namespace BlitzScale.Grains.Topology;

/// <summary>The hosts their silos declared; only those whose silo is an active cluster member are reported.</summary>
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
        var active = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress.ToString())
            .ToHashSet(StringComparer.Ordinal);
        IReadOnlyList<HostInfo> hosts = _hosts.Values
            .Where(h => active.Contains(h.SiloAddress))
            .OrderBy(h => h.Host, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(hosts);
    }
}
