using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Native.Transport;
using BlitzScale.Scaling.Planning;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// Turns a transfer plan into what each target shard fetches: for every hop into it, how to reach the sender (same host
/// or network), under which source id the sender's image is registered, and which blobs. Pure.
/// </summary>
internal static class FeedMapper
{
    /// <param name="plan">The planner's chains.</param>
    /// <param name="model">The model (host copies are registered under its <see cref="HostCopySourceId"/>).</param>
    /// <param name="hostOf">The host of a GPU key.</param>
    /// <param name="shardOn">The shard key of the instance on a GPU key (a source, or a target earlier in a chain).</param>
    /// <param name="hosts">The hosts as their silos declared them (data-plane and RDMA addresses).</param>
    /// <returns>Feeds per target GPU, in blob order.</returns>
    public static IReadOnlyDictionary<string, IReadOnlyList<LoadFeed>> Map(
        TransferPlan plan, string model, Func<string, string> hostOf, Func<string, string> shardOn, IReadOnlyDictionary<string, HostInfo> hosts)
    {
        var feeds = new Dictionary<string, List<LoadFeed>>(StringComparer.Ordinal);
        foreach (var (hop, descending) in plan.Chains.SelectMany(c => c.Feed.Concat(c.AllGather).Concat(c.Hops).Select(h => (h, c.Descending))))
        {
            string targetHost = hostOf(hop.To);
            LoadFeed feed;
            if (hop.From == TransferPlan.StorageEndpoint)
            {
                feed = new LoadFeed(FeedKind.Storage, hop.From, "", "", hop.Blobs.Start, hop.Blobs.End, hop.Link.ToString());
            }
            else
            {
                string? copyHost = TransferPlan.HostOfHostCopy(hop.From);
                string sourceHost = copyHost ?? hostOf(hop.From);
                string sourceId = copyHost is not null ? new HostCopySourceId(model, copyHost).ToString() : shardOn(hop.From);
                var choice = TransportSelection.Choose(Endpoint(Host(hosts, targetHost)), Endpoint(Host(hosts, sourceHost)));
                var (kind, peer) = choice.Kind switch
                {
                    TransportKind.SameProcess => (FeedKind.SameHost, sourceId),
                    TransportKind.Rdma => (FeedKind.Rdma, Host(hosts, sourceHost).RdmaAddress!),
                    _ => (FeedKind.Network, Host(hosts, sourceHost).DataAddress is { Length: > 0 } address
                        ? address
                        : throw new InvalidOperationException($"host \"{sourceHost}\" has not declared a data-plane address; its silo may be too old or still starting")),
                };
                feed = new LoadFeed(kind, hop.From, peer, sourceId, hop.Blobs.Start, hop.Blobs.End, hop.Link.ToString(), choice.Reason);
            }
            feed = feed with { Descending = descending };
            if (!feeds.TryGetValue(hop.To, out var list)) feeds[hop.To] = list = [];
            list.Add(feed);
        }
        return feeds.ToDictionary(f => f.Key, f => (IReadOnlyList<LoadFeed>)f.Value.OrderBy(x => x.FirstBlob).ToList(), StringComparer.Ordinal);
    }

    /// <summary>
    /// A host as the transport choice sees it: its silo is its one process, so images of a host share a process and shared
    /// memory (for several processes on one host) never applies in the grid.
    /// </summary>
    private static TransportEndpoint Endpoint(HostInfo host) => new()
    {
        Host = host.Host,
        Process = host.SiloAddress,
        SharedMemoryUnavailable = "each host runs one silo process",
        RdmaUnavailable = host.RdmaAddress is null ? host.RdmaUnavailable ?? "the host declared no RDMA endpoint" : null,
    };

    private static HostInfo Host(IReadOnlyDictionary<string, HostInfo> hosts, string name) =>
        hosts.GetValueOrDefault(name) ?? throw new InvalidOperationException($"host \"{name}\" is not in the cluster's topology");

    /// <summary>
    /// The feed of a whole image from this host's own copy (the sllm and allcache policies). A <paramref name="cold"/> copy is
    /// being read from the files for this load (a cache miss): its link is storage, and it is named so.
    /// </summary>
    public static IReadOnlyList<LoadFeed> FromOwnHostCopy(string model, string host, int blobCount, bool cold = false)
    {
        string copy = new HostCopySourceId(model, host).ToString();
        string endpoint = TransferPlan.HostCopyEndpoint(host);
        return [new LoadFeed(FeedKind.SameHost, cold ? $"{TransferPlan.StorageEndpoint} via {endpoint}" : endpoint, copy, copy, 0, blobCount,
            (cold ? LinkType.Storage : LinkType.HostToDevice).ToString())];
    }
}
