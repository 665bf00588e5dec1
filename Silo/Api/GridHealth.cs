using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Topology;

namespace BlitzScale.Silo.Api;

/// <summary>Whether a grid reached as a client can serve: some GPU host is registered.</summary>
internal static class GridHealth
{
    public static async Task<string?> ProblemAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        var hosts = await grains.GetGrain<ITopologyGrain>(GrainKeys.Cluster).GetHosts().WaitAsync(cancellationToken);
        return hosts.Count > 0 ? null : "no GPU host is registered with the cluster";
    }
}
