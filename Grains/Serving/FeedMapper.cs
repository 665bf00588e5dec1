using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Scaling.Planning;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// Turns a transfer plan into what each target shard fetches: for every hop into it, how to reach the sender (same host
/// or network), under which source id the sender's image is registered, and which blobs. Pure.
/// </summary>
internal static class FeedMapper
{
    /// <param name="plan">The planner's chains.</param>
    /// <param name="model">The model (host copies are registered as <c>"{model}@{host}/memory"</c>).</param>
    /// <param name="hostOf">The host of a GPU key.</param>
    /// <param name="shardOn">The shard key of the instance on a GPU key (a source, or a target earlier in a chain).</param>
    /// <param name="dataAddress">The data-plane address of a host.</param>
    /// <returns>Feeds per target GPU, in blob order.</returns>
    public static IReadOnlyDictionary<string, IReadOnlyList<LoadFeed>> Map(
        TransferPlan plan, string model, Func<string, string> hostOf, Func<string, string> shardOn, Func<string, string> dataAddress)
    {
        var feeds = new Dictionary<string, List<LoadFeed>>(StringComparer.Ordinal);
        foreach (var hop in plan.Chains.SelectMany(c => c.Feed.Concat(c.AllGather).Concat(c.Hops)))
        {
            string targetHost = hostOf(hop.To);
            LoadFeed feed;
            if (hop.From == TransferPlan.StorageEndpoint)
            {
                feed = new LoadFeed(FeedKind.Storage, hop.From, "", "", hop.Blobs.Start, hop.Blobs.End, hop.Link.ToString());
            }
            else
            {
                string? copyHost = hop.From.EndsWith("/memory", StringComparison.Ordinal) ? hop.From[..^"/memory".Length] : null;
                string sourceHost = copyHost ?? hostOf(hop.From);
                string sourceId = copyHost is not null ? HostCopySourceId(model, copyHost) : shardOn(hop.From);
                bool sameHost = sourceHost == targetHost;
                feed = new LoadFeed(sameHost ? FeedKind.SameHost : FeedKind.Network, hop.From,
                    sameHost ? sourceId : dataAddress(sourceHost), sourceId, hop.Blobs.Start, hop.Blobs.End, hop.Link.ToString());
            }
            if (!feeds.TryGetValue(hop.To, out var list)) feeds[hop.To] = list = [];
            list.Add(feed);
        }
        return feeds.ToDictionary(f => f.Key, f => (IReadOnlyList<LoadFeed>)f.Value.OrderBy(x => x.FirstBlob).ToList(), StringComparer.Ordinal);
    }

    /// <summary>The source id a host copy is registered under (one implementation, shared with the host memory grain).</summary>
    public static string HostCopySourceId(string model, string host) => $"{model}@{host}/memory";

    /// <summary>
    /// The feed of a whole image from this host's own copy (the sllm and allcache policies). A <paramref name="cold"/> copy is
    /// being read from the files for this load (a cache miss): its link is storage, and it is named so.
    /// </summary>
    public static IReadOnlyList<LoadFeed> FromOwnHostCopy(string model, string host, int blobCount, bool cold = false) =>
        [new LoadFeed(FeedKind.SameHost, cold ? $"storage via {host}/memory" : $"{host}/memory", HostCopySourceId(model, host),
            HostCopySourceId(model, host), 0, blobCount, (cold ? LinkType.Storage : LinkType.HostToDevice).ToString())];
}
