namespace BlitzScale.Grains.Interfaces.Topology;

/// <summary>
/// The cluster's hosts as their silos declared them (key <see cref="GrainKeys.Cluster"/>). Silos register at
/// start and again periodically, so the view rebuilds itself if this grain moves; hosts whose silo has left
/// the cluster are not returned.
/// </summary>
[Alias("blitz.ITopologyGrain")]
public interface ITopologyGrain : IGrainWithStringKey
{
    /// <summary>Adds or refreshes a host.</summary>
    [Alias("RegisterHost")]
    Task RegisterHost(HostInfo host);

    /// <summary>The hosts whose silos are active, ordered by name.</summary>
    [Alias("GetHosts")]
    Task<IReadOnlyList<HostInfo>> GetHosts();
}
