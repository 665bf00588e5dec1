using System.Text;

namespace BlitzScale.Scaling.Planning;

/// <summary>
/// One multicast chain <c>source → t1 → t2 → …</c>: every node stores each blob it receives and forwards it to
/// the next node at the same time, so the chain's time barely grows with its length.
/// </summary>
/// <param name="Leaf">The leaf switch the chain starts on (for storage chains: the leaf whose targets it feeds).</param>
/// <param name="Source">Where the parameters come from.</param>
/// <param name="Feed">
/// How the parameters enter the chain: one hop from the source into the first target, or, for a split send from g
/// GPUs of one host, one hop per sending GPU carrying its slice of the image (contiguous blob ranges balanced by
/// bytes), dealt round-robin to the first min(g, n) GPUs of the first NVLink group (the receivers).
/// </param>
/// <param name="AllGather">
/// Empty unless a split send has two or more receivers: NVLink copies among the receivers, in order (a ring: each
/// receiver passes slices to the next one), after which every receiver holds the whole image.
/// </param>
/// <param name="Hops">
/// The rest of the chain in order, each hop carrying the whole image: the first starts at the last receiver of
/// <paramref name="Feed"/>, each next one at the previous one's target.
/// </param>
public sealed record TransferChain(
    string Leaf,
    SourceKind Source,
    IReadOnlyList<TransferHop> Feed,
    IReadOnlyList<TransferHop> AllGather,
    IReadOnlyList<TransferHop> Hops)
{
    /// <summary>
    /// Whether the blobs travel last first (the head, the last layer, …, the embedding): the LiveTail half of loads in
    /// complementary orders (<see cref="ComplementaryChains"/>). Only a one-hop chain, which forwards nothing.
    /// </summary>
    public bool Descending { get; init; }

    /// <summary>Whether several GPUs each send a slice of the image (and the receivers all-gather).</summary>
    public bool IsSplit => Feed.Count > 1;

    /// <summary>The sending endpoints of <see cref="Feed"/>, in order, each once.</summary>
    public IReadOnlyList<string> Senders => Feed.Select(h => h.From).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>The target GPUs of the chain in the order they receive: the receivers of the feed, then each hop's target.</summary>
    public IReadOnlyList<string> Targets =>
        Feed.Select(h => h.To).Distinct(StringComparer.Ordinal).Concat(Hops.Select(h => h.To)).ToArray();

    /// <summary>Value equality over the hop lists (a record compares lists by reference otherwise).</summary>
    public bool Equals(TransferChain? other) =>
        other is not null
        && string.Equals(Leaf, other.Leaf, StringComparison.Ordinal)
        && Source == other.Source
        && Descending == other.Descending
        && Feed.SequenceEqual(other.Feed)
        && AllGather.SequenceEqual(other.AllGather)
        && Hops.SequenceEqual(other.Hops);

    /// <summary>A hash consistent with <see cref="Equals(TransferChain?)"/>.</summary>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Leaf, StringComparer.Ordinal);
        hash.Add(Source);
        hash.Add(Descending);
        foreach (var hop in Feed.Concat(AllGather).Concat(Hops)) hash.Add(hop);
        return hash.ToHashCode();
    }

    /// <summary>
    /// One line for logs, e.g. <c>leaf0, from Gpu: h1/gpu0 -Network-> h2/gpu0 -NvLink-> h2/gpu1</c>; a split send
    /// lists each slice, then the all-gather, then the rest of the chain.
    /// </summary>
    public string Describe()
    {
        var text = new StringBuilder($"{Leaf}, from {Source}");
        if (IsSplit)
        {
            text.Append($", split over {Senders.Count}: ");
            text.AppendJoin("; ", Feed.Select(h => $"{h.From} -{h.Link}-> {h.To} [{h.Blobs}]"));
            if (AllGather.Count > 0)
                text.Append("; all-gather: ").AppendJoin(", ", AllGather.Select(h => $"{h.From} -> {h.To} [{h.Blobs}]"));
            if (Hops.Count > 0) text.Append("; then ").Append(Hops[0].From);
        }
        else
        {
            text.Append(": ").Append(Feed[0].From).Append($" -{Feed[0].Link}-> ").Append(Feed[0].To);
        }
        foreach (var hop in Hops) text.Append($" -{hop.Link}-> ").Append(hop.To);
        if (Descending) text.Append(", last layers first");
        return text.ToString();
    }
}
