using System.Text;

namespace BlitzScale.Scaling.Planning;

/// <summary>
/// The planner's answer: chains that together bring every target the whole image exactly once. Chains run in
/// parallel; an empty plan means every target already holds the model.
/// </summary>
/// <param name="Chains">The chains, sorted by leaf, first sender and first target.</param>
public sealed record TransferPlan(IReadOnlyList<TransferChain> Chains)
{
    /// <summary>The endpoint name of the model files in storage, as a hop's <see cref="TransferHop.From"/>.</summary>
    public const string StorageEndpoint = "storage";

    private const string HostCopySuffix = "/memory";

    /// <summary>A plan with no chains.</summary>
    public static TransferPlan Empty { get; } = new(Array.Empty<TransferChain>());

    /// <summary>The endpoint name of the host-memory copy on <paramref name="host"/>, <c>"{host}/memory"</c>.</summary>
    public static string HostCopyEndpoint(string host) => host + HostCopySuffix;

    /// <summary>
    /// Each target's first hop: the hop that brings it its first bytes (for a receiver of a split send, the slice
    /// that starts earliest in the image), sorted by target key.
    /// </summary>
    public IReadOnlyList<TransferHop> FirstHops =>
        Chains.SelectMany(c => c.Feed.OrderBy(h => h.Blobs.Start).Concat(c.Hops))
            .GroupBy(h => h.To, StringComparer.Ordinal)
            .Select(g => g.First())
            .OrderBy(h => h.To, StringComparer.Ordinal)
            .ToArray();

    /// <summary>The first hop of <paramref name="target"/> (see <see cref="FirstHops"/>).</summary>
    /// <exception cref="ArgumentException">The plan does not feed <paramref name="target"/>.</exception>
    public TransferHop FirstHopOf(string target) =>
        FirstHops.FirstOrDefault(h => string.Equals(h.To, target, StringComparison.Ordinal))
        ?? throw new ArgumentException($"target \"{target}\" is not fed by this plan", nameof(target));

    /// <summary>
    /// Estimates how long the plan takes, in seconds, with a pipelined model at blob granularity. Each chain is a
    /// series of stages (the feed, the all-gather if any, each hop); a stage's rate is its link's:
    /// NVLink, PCIe, host-to-device and storage from <paramref name="links"/>; network = min(sending host's NIC ÷
    /// its outbound network streams in the whole plan, receiving host's NIC ÷ its inbound streams, and
    /// <see cref="LinkBandwidths.GpuNetworkGbps"/> for a GPU sender or the host-to-device rate for the host copy).
    /// A split feed over g GPUs gives each slice 1/g of those NIC shares (the slices together count as one stream);
    /// its time is that of its slowest slice. A ring all-gather among k receivers moves (k−1)/k of the image over
    /// each of k NVLinks in parallel. Because each node forwards blob i while it receives blob i+1, a chain takes
    /// the whole image over its slowest stage plus one blob (the largest) over each other stage:
    /// <c>W / r_min + Σ_{other stages} b_max / r_s</c>; for equal network hops that is the first hop's time plus one
    /// blob per extra hop. Chains run in parallel, so the plan takes as long as its slowest chain. Latency, protocol
    /// overhead and leaf uplink contention are not modelled.
    /// </summary>
    /// <param name="input">The input the plan was made for (hosts, GPUs, blob sizes).</param>
    /// <param name="links">Link rates; <see cref="LinkBandwidths.Default"/> when null.</param>
    /// <exception cref="ArgumentException">The input is invalid, or a hop names an endpoint it does not know.</exception>
    public double EstimateSeconds(PlanningInput input, LinkBandwidths? links = null) =>
        TransferCostModel.EstimateSeconds(this, input, links ?? LinkBandwidths.Default);

    /// <summary>A few lines for logs: how many targets and chains, then one line per chain.</summary>
    public string Describe()
    {
        if (Chains.Count == 0) return "no transfers: every target already holds the model";
        int targets = Chains.Sum(c => c.Targets.Count);
        var text = new StringBuilder($"{targets} target(s) in {Chains.Count} chain(s)");
        for (int i = 0; i < Chains.Count; i++)
            text.Append('\n').Append($"chain {i + 1} ({Chains[i].Describe()})");
        return text.ToString();
    }

    /// <summary>Value equality over the chains (a record compares lists by reference otherwise).</summary>
    public bool Equals(TransferPlan? other) => other is not null && Chains.SequenceEqual(other.Chains);

    /// <summary>A hash consistent with <see cref="Equals(TransferPlan?)"/>.</summary>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var chain in Chains) hash.Add(chain);
        return hash.ToHashCode();
    }

    /// <summary>The host of a host-copy endpoint (<see cref="HostCopyEndpoint"/>), or null when <paramref name="endpoint"/> is not one.</summary>
    public static string? HostOfHostCopy(string endpoint) =>
        endpoint.EndsWith(HostCopySuffix, StringComparison.Ordinal) ? endpoint[..^HostCopySuffix.Length] : null;
}
