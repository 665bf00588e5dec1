namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>Where a feed of parameters comes from, as the receiving shard reaches it.</summary>
public enum FeedKind
{
    /// <summary>The model files on the receiving host.</summary>
    Storage,
    /// <summary>An image in the same silo process (another GPU of the host, or the host copy).</summary>
    SameHost,
    /// <summary>An image on another host, over TCP.</summary>
    Network,
    /// <summary>An image on another host, over RDMA verbs (both hosts have an active RDMA port).</summary>
    Rdma,
}

/// <summary>
/// One part of a shard's parameters and where to fetch it: blobs <c>[FirstBlob, EndBlob)</c>, the first from byte
/// <c>FirstBlobOffset</c> on (a refeed of a blob whose start had landed and verified before its source was lost).
/// </summary>
/// <param name="Kind">How the source is reached.</param>
/// <param name="From">The source as the planner named it (a GPU key, <c>"{host}/memory"</c> or <c>"storage"</c>).</param>
/// <param name="Peer">The source's data-plane address (network: <c>host:port</c>; same host: the registered name); empty for storage.</param>
/// <param name="SourceId">The id the source's image is registered under on that peer; empty for storage.</param>
/// <param name="FirstBlob">First blob of the part.</param>
/// <param name="EndBlob">One past its last blob.</param>
/// <param name="Link">The link type the planner assigned (NvLink, Pcie, Network, HostToDevice, Storage).</param>
/// <param name="Transport">Why this transport was chosen (e.g. "RDMA unavailable on this node: …; using TCP").</param>
/// <param name="FirstBlobOffset">
/// Bytes at the start of <c>FirstBlob</c> the receiver holds already; the feed starts at the chunk that holds this byte
/// (the data plane's chunks, so up to one chunk less may be skipped), or here for storage.
/// </param>
/// <param name="Descending">
/// The blobs land last first, one fetch each: an instance that loads the head and the last layers first runs the tails of a
/// partner's requests (loads in complementary orders) while the partner, landing the first layers first, runs their heads.
/// </param>
[GenerateSerializer, Immutable, Alias("blitz.LoadFeed")]
public sealed record LoadFeed(
    [property: Id(0)] FeedKind Kind,
    [property: Id(1)] string From,
    [property: Id(2)] string Peer,
    [property: Id(3)] string SourceId,
    [property: Id(4)] int FirstBlob,
    [property: Id(5)] int EndBlob,
    [property: Id(6)] string Link,
    [property: Id(7)] string? Transport = null,
    [property: Id(8)] long FirstBlobOffset = 0,
    [property: Id(9)] bool Descending = false);
