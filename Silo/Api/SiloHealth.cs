using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Topology;
using Orleans.Runtime;

namespace BlitzScale.Silo.Api;

/// <summary>Whether this silo can serve: it is an active member of its cluster and its GPU host is registered.</summary>
internal sealed class SiloHealth(IClusterMembershipService membership, ILocalSiloDetails local, IGrainFactory grains, string host)
{
    /// <summary>Null when healthy, else why not.</summary>
    public async Task<string?> ProblemAsync(CancellationToken cancellationToken)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress);
        if (status != SiloStatus.Active) return $"silo {local.SiloAddress} is {status}, not an active member of its cluster";
        var hosts = await grains.GetGrain<ITopologyGrain>(GrainKeys.Cluster).GetHosts().WaitAsync(cancellationToken);
        return hosts.Any(h => h.Host == host) ? null : $"GPU host {host} is not registered with the cluster";
    }
}
