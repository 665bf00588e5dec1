using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Grains.Placement;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace BlitzScale.Grains.Topology;

/// <summary>
/// The hosts their silos declared, less those whose silo has left the cluster. Silos register themselves, but a fresh
/// activation of this grain (the cluster's directory can briefly lose track of it while silos join) knows nobody: so
/// for every active silo it has no registration from, it asks that silo's first GPU grain to describe the host.
/// A silo this silo's membership view does not know yet counts as present: it registered from its Active stage.
/// </summary>
internal sealed partial class TopologyGrain(IClusterMembershipService membership, ISiloMetadataCache metadata, ILogger<TopologyGrain> logger)
    : Grain, ITopologyGrain
{
    private readonly Dictionary<string, HostInfo> _hosts = new(StringComparer.Ordinal);

    public Task RegisterHost(HostInfo host)
    {
        _hosts[host.Host] = host;
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<HostInfo>> GetHosts()
    {
        var members = membership.CurrentSnapshot.Members.Values;
        await AskUnregistered(members.Where(m => m.Status == SiloStatus.Active).ToList());
        var gone = members
            .Where(m => m.Status is SiloStatus.Dead or SiloStatus.ShuttingDown or SiloStatus.Stopping)
            .Select(m => m.SiloAddress.ToString())
            .ToHashSet(StringComparer.Ordinal);
        return _hosts.Values
            .Where(h => !gone.Contains(h.SiloAddress))
            .OrderBy(h => h.Host, StringComparer.Ordinal)
            .ToList();
    }

    private async Task AskUnregistered(IReadOnlyList<ClusterMember> active)
    {
        var registered = _hosts.Values.Select(h => h.SiloAddress).ToHashSet(StringComparer.Ordinal);
        foreach (var member in active.Where(m => !registered.Contains(m.SiloAddress.ToString())))
        {
            // The metadata cache fills asynchronously as silos join; until it has a silo, its name stands for its host.
            string host = metadata.GetSiloMetadata(member.SiloAddress).Metadata.TryGetValue(HostContext.Key, out var named) ? named : member.Name;
            try
            {
                var info = await GrainFactory.GetGrain<IGpuGrain>(new GpuKey(host, 0).ToString()).DescribeHost();
                if (info.SiloAddress == member.SiloAddress.ToString()) _hosts[info.Host] = info;
            }
            catch (Exception e)
            {
                // Not a GPU host (or not reachable yet): its own registration will say so, or nothing will.
                LogAskFailed(logger, member.SiloAddress.ToString(), host, e.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Silo {Silo} (host {Host}) has not registered and could not be asked: {Reason}")]
    private static partial void LogAskFailed(ILogger logger, string silo, string host, string reason);
}
