using BlitzScale.Scaling.Planning;

namespace BlitzScale.Scaling.Tests.Planning;

/// <summary>
/// Runs a plan on paper: walks each chain's feed, all-gather and hops in order, checks that every sender holds
/// what it sends when it sends it, and counts blob deliveries and streams.
/// </summary>
internal static class PlanSimulator
{
    /// <summary>How many times each GPU received each blob. Fails if any hop sends blobs its sender does not hold.</summary>
    public static Dictionary<string, int[]> Deliveries(TransferPlan plan, PlanningInput input)
    {
        int blobs = input.BlobSizes.Count;
        var sources = input.Sources.Select(s => s.Gpu).ToHashSet(StringComparer.Ordinal);
        var received = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var chain in plan.Chains)
        {
            foreach (var hop in chain.Feed) Deliver(hop, expectSource: true);
            foreach (var hop in chain.AllGather) Deliver(hop, expectSource: false);
            foreach (var hop in chain.Hops)
            {
                Assert.Equal(BlobRange.All(blobs), hop.Blobs);
                Deliver(hop, expectSource: false);
            }
        }
        return received;

        void Deliver(TransferHop hop, bool expectSource)
        {
            bool isSource = sources.Contains(hop.From) || hop.From == TransferPlan.StorageEndpoint
                || input.HostCopy is { } h && hop.From == TransferPlan.HostCopyEndpoint(h);
            Assert.True(expectSource == isSource, $"{hop.From} -> {hop.To}: sender is {(isSource ? "" : "not ")}a source");
            if (!isSource)
            {
                Assert.True(received.TryGetValue(hop.From, out var held), $"{hop.From} sends before receiving anything");
                for (int b = hop.Blobs.Start; b < hop.Blobs.End; b++)
                    Assert.True(held[b] > 0, $"{hop.From} sends blob {b} to {hop.To} before holding it");
            }
            if (!received.TryGetValue(hop.To, out var counts)) received[hop.To] = counts = new int[blobs];
            for (int b = hop.Blobs.Start; b < hop.Blobs.End; b++) counts[b]++;
        }
    }

    /// <summary>Outbound chain streams (feed hops and hops; not all-gather copies) per sending endpoint.</summary>
    public static Dictionary<string, int> GpuStreams(TransferPlan plan) =>
        plan.Chains.SelectMany(c => c.Feed.Concat(c.Hops))
            .GroupBy(h => h.From, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>Outbound network streams per host NIC; the slices of one split feed count once.</summary>
    public static Dictionary<string, int> NicStreams(TransferPlan plan, PlanningInput input)
    {
        var hostOf = input.Gpus.ToDictionary(g => g.Key, g => g.Host, StringComparer.Ordinal);
        if (input.HostCopy is { } copy) hostOf[TransferPlan.HostCopyEndpoint(copy)] = copy;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var chain in plan.Chains)
        {
            var senders = chain.Feed.Where(h => h.Link == LinkType.Network).Select(h => hostOf[h.From]).Distinct()
                .Concat(chain.Hops.Where(h => h.Link == LinkType.Network).Select(h => hostOf[h.From]));
            foreach (string host in senders) counts[host] = counts.GetValueOrDefault(host) + 1;
        }
        return counts;
    }

    /// <summary>A whole-image hop.</summary>
    public static TransferHop Hop(string from, string to, LinkType link, int blobs = 5) => new(from, to, link, BlobRange.All(blobs));
}
