using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Transport;

namespace BlitzScale.Grains.DataPlane;

/// <summary>One feed of a load failed; names the feed and says whether its source disappeared (the planner can route around that).</summary>
internal sealed class FeedFailedException(LoadFeed feed, Exception inner)
    : Exception($"fetching blobs {feed.FirstBlob}-{feed.EndBlob - 1} from {feed.From} ({feed.Kind}{(feed.Peer.Length > 0 ? " " + feed.Peer : "")}) failed: {inner.Message}", inner)
{
    public LoadFeed Feed { get; } = feed;

    /// <summary>The source disappeared (unreachable, connection lost, its own source lost), as opposed to refusing or corrupting.</summary>
    public bool SourceLost => InnerException is SourceLostException;
}
