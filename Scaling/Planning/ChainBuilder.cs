namespace BlitzScale.Scaling.Planning;

/// <summary>
/// Builds one chain group by group. The first group appended is fed from the chain's source (split over the
/// sending GPUs when that first hop crosses the network and there are several); each later group is reached from
/// the chain's current tail; inside a group the members follow each other over NVLink.
/// </summary>
internal sealed class ChainBuilder
{
    private readonly PlanningTopology topology;
    private readonly IReadOnlyList<string> senders;
    private readonly string? copyHost;
    private readonly List<TransferHop> feed = [];
    private readonly List<TransferHop> allGather = [];
    private readonly List<TransferHop> hops = [];
    private string? tail;

    private ChainBuilder(PlanningTopology topology, string leaf, SourceKind source, IReadOnlyList<string> senders, string? copyHost)
    {
        this.topology = topology;
        this.senders = senders;
        this.copyHost = copyHost;
        Leaf = leaf;
        Source = source;
    }

    public string Leaf { get; }

    public SourceKind Source { get; }

    /// <summary>The host the chain's source is on (null for storage).</summary>
    public string? SourceHost => Source switch
    {
        SourceKind.Gpu => topology.Gpu(senders[0]).Host,
        SourceKind.HostCopy => copyHost,
        _ => null,
    };

    public int TargetCount { get; private set; }

    /// <summary>A chain from GPUs of one host and NVLink group, in the order they should send (a split uses them all).</summary>
    public static ChainBuilder FromGpus(PlanningTopology topology, string leaf, IReadOnlyList<string> senders) =>
        new(topology, leaf, SourceKind.Gpu, senders, null);

    public static ChainBuilder FromHostCopy(PlanningTopology topology, string host) =>
        new(topology, topology.Host(host).LeafSwitch, SourceKind.HostCopy, [TransferPlan.HostCopyEndpoint(host)], host);

    public static ChainBuilder FromStorage(PlanningTopology topology, string leaf) =>
        new(topology, leaf, SourceKind.Storage, [TransferPlan.StorageEndpoint], null);

    public void Append(TargetGroup group)
    {
        int fed = tail is null ? Feed(group) : 0;
        for (int i = fed; i < group.Members.Count; i++)
        {
            string to = group.Members[i].Key;
            hops.Add(new TransferHop(tail!, to, topology.LinkBetween(tail!, to), topology.WholeImage));
            tail = to;
            TargetCount++;
        }
    }

    public TransferChain Build() => new(Leaf, Source, feed.ToArray(), allGather.ToArray(), hops.ToArray());

    /// <summary>Feeds the first group from the source; returns how many of its members received (the rest follow over NVLink).</summary>
    private int Feed(TargetGroup group)
    {
        string first = group.Members[0].Key;
        LinkType link = Source switch
        {
            SourceKind.Gpu => topology.LinkBetween(senders[0], first),
            SourceKind.HostCopy => string.Equals(group.Host, copyHost, StringComparison.Ordinal) ? LinkType.HostToDevice : LinkType.Network,
            _ => LinkType.Storage,
        };
        // Splitting pays off where one GPU cannot fill the network path; inside a host NVLink or PCIe is fast enough.
        int parts = Source == SourceKind.Gpu && link == LinkType.Network ? Math.Min(senders.Count, topology.BlobSizes.Count) : 1;
        if (parts == 1)
        {
            feed.Add(new TransferHop(senders[0], first, link, topology.WholeImage));
            tail = first;
            TargetCount++;
            return 1;
        }

        BlobRange[] slices = BlobSplitter.Split(topology.BlobSizes, parts);
        int receiverCount = Math.Min(parts, group.Members.Count);
        var receivers = group.Members.Take(receiverCount).Select(m => m.Key).ToArray();
        var held = receivers.Select(_ => new List<BlobRange>()).ToArray();
        for (int i = 0; i < parts; i++)
        {
            feed.Add(new TransferHop(senders[i], receivers[i % receiverCount], LinkType.Network, slices[i]));
            held[i % receiverCount].Add(slices[i]);
        }
        allGather.AddRange(RingAllGather(receivers, held));
        tail = receivers[^1];
        TargetCount += receiverCount;
        return receiverCount;
    }

    /// <summary>
    /// A ring all-gather: in step s receiver j passes the slices that first landed on receiver j − s to receiver
    /// j + 1, so after k − 1 steps every receiver holds every slice exactly once and each sends to one peer only.
    /// </summary>
    private static IEnumerable<TransferHop> RingAllGather(string[] receivers, List<BlobRange>[] held)
    {
        int k = receivers.Length;
        for (int step = 0; step < k - 1; step++)
            for (int j = 0; j < k; j++)
                foreach (var slice in held[(j - step + k) % k])
                    yield return new TransferHop(receivers[j], receivers[(j + 1) % k], LinkType.NvLink, slice);
    }
}
