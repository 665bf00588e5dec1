namespace BlitzScale.Scaling.Planning;

/// <summary>The pipelined cost model behind <see cref="TransferPlan.EstimateSeconds"/> (documented there).</summary>
internal static class TransferCostModel
{
    private const double BytesPerGB = 1e9;
    private const double BytesPerGbit = 1e9 / 8;

    public static double EstimateSeconds(TransferPlan plan, PlanningInput input, LinkBandwidths links)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(links);
        foreach (var (name, value) in new[]
        {
            ("NvLinkGBps", links.NvLinkGBps), ("PcieGBps", links.PcieGBps), ("HostToDeviceGBps", links.HostToDeviceGBps),
            ("StorageGBps", links.StorageGBps), ("GpuNetworkGbps", links.GpuNetworkGbps),
        })
        {
            if (!(value > 0)) throw new ArgumentException($"link bandwidth {name}: {value}, expected a positive number", nameof(links));
        }
        var topology = PlanningInputValidator.Validate(input);
        foreach (var hop in plan.Chains.SelectMany(c => c.Feed.Concat(c.AllGather).Concat(c.Hops)))
        {
            CheckEndpoint(topology, hop.From, canSend: true);
            CheckEndpoint(topology, hop.To, canSend: false);
            if (hop.Blobs.Start < 0 || hop.Blobs.Count < 1 || hop.Blobs.End > topology.BlobSizes.Count)
                throw new ArgumentException($"hop {hop.From} -> {hop.To}: {hop.Blobs} is outside the image of {topology.BlobSizes.Count} blobs", nameof(input));
        }

        var flows = new NetworkFlows(topology, plan);
        return plan.Chains.Count == 0 ? 0 : plan.Chains.Max(c => ChainSeconds(topology, flows, links, c));
    }

    private static double ChainSeconds(PlanningTopology topology, NetworkFlows flows, LinkBandwidths links, TransferChain chain)
    {
        double image = topology.ImageBytes;
        var rates = new List<double> { FeedRate(topology, flows, links, chain) };
        if (chain.AllGather.Count > 0)
        {
            int receivers = chain.AllGather.Select(h => h.From).Distinct(StringComparer.Ordinal).Count();
            long copied = chain.AllGather.Sum(h => topology.BytesOf(h.Blobs));
            // The k ring links copy in parallel; as a stage its rate is the image over the time that takes.
            double seconds = copied / (receivers * links.NvLinkGBps * BytesPerGB);
            rates.Add(image / seconds);
        }
        rates.AddRange(chain.Hops.Select(h => HopRate(topology, flows, links, h, sharing: 1)));

        int slowest = rates.IndexOf(rates.Min());
        double total = image / rates[slowest];
        for (int i = 0; i < rates.Count; i++)
            if (i != slowest) total += topology.LargestBlob / rates[i];
        return total;
    }

    /// <summary>The feed as one stage: its slowest slice decides how long the whole image takes to enter the chain.</summary>
    private static double FeedRate(PlanningTopology topology, NetworkFlows flows, LinkBandwidths links, TransferChain chain)
    {
        if (chain.Feed.Count == 1) return HopRate(topology, flows, links, chain.Feed[0], sharing: 1);
        double seconds = chain.Feed.Max(h => topology.BytesOf(h.Blobs) / HopRate(topology, flows, links, h, sharing: chain.Feed.Count));
        return topology.ImageBytes / seconds;
    }

    /// <summary>Bytes per second of one hop; <paramref name="sharing"/> slices of a split share its NICs' stream share.</summary>
    private static double HopRate(PlanningTopology topology, NetworkFlows flows, LinkBandwidths links, TransferHop hop, int sharing) =>
        hop.Link switch
        {
            LinkType.NvLink => links.NvLinkGBps * BytesPerGB,
            LinkType.Pcie => links.PcieGBps * BytesPerGB,
            // A host that declares its copy rate is taken at its word.
            LinkType.HostToDevice => (topology.Host(topology.Gpu(hop.To).Host).HostToDeviceGBps ?? links.HostToDeviceGBps) * BytesPerGB,
            LinkType.Storage => links.StorageGBps * BytesPerGB,
            _ => NetworkRate(topology, flows, links, hop, sharing),
        };

    private static double NetworkRate(PlanningTopology topology, NetworkFlows flows, LinkBandwidths links, TransferHop hop, int sharing)
    {
        string to = topology.Gpu(hop.To).Host;
        double rate = topology.Host(to).NicGbps * BytesPerGbit / flows.Inbound(to) / sharing;
        if (topology.IsGpu(hop.From))
        {
            string from = topology.Gpu(hop.From).Host;
            rate = Math.Min(rate, topology.Host(from).NicGbps * BytesPerGbit / flows.Outbound(from) / sharing);
            rate = Math.Min(rate, links.GpuNetworkGbps * BytesPerGbit);
        }
        else if (TransferPlan.HostOfHostCopy(hop.From) is { } from)
        {
            rate = Math.Min(rate, topology.Host(from).NicGbps * BytesPerGbit / flows.Outbound(from) / sharing);
            rate = Math.Min(rate, links.HostToDeviceGBps * BytesPerGB);
        }
        return rate;
    }

    private static void CheckEndpoint(PlanningTopology topology, string endpoint, bool canSend)
    {
        if (endpoint is not null && topology.IsGpu(endpoint)) return;
        if (canSend && endpoint == TransferPlan.StorageEndpoint) return;
        if (canSend && endpoint is not null && TransferPlan.HostOfHostCopy(endpoint) is { } host && topology.IsHost(host)) return;
        throw new ArgumentException($"the plan names endpoint \"{endpoint}\", which the input does not know", "input");
    }

    /// <summary>How many network streams leave and enter each host's NIC in the whole plan (a split feed counts once).</summary>
    private sealed class NetworkFlows
    {
        private readonly Dictionary<string, int> outbound = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> inbound = new(StringComparer.Ordinal);

        public NetworkFlows(PlanningTopology topology, TransferPlan plan)
        {
            foreach (var chain in plan.Chains)
            {
                var feed = chain.Feed.Where(h => h.Link == LinkType.Network).ToArray();
                foreach (string host in feed.Select(h => SenderHost(topology, h.From)).Distinct(StringComparer.Ordinal))
                    Add(outbound, host);
                foreach (string host in feed.Select(h => topology.Gpu(h.To).Host).Distinct(StringComparer.Ordinal))
                    Add(inbound, host);
                foreach (var hop in chain.Hops.Where(h => h.Link == LinkType.Network))
                {
                    Add(outbound, SenderHost(topology, hop.From));
                    Add(inbound, topology.Gpu(hop.To).Host);
                }
            }
        }

        public int Outbound(string host) => Math.Max(1, outbound.GetValueOrDefault(host));

        public int Inbound(string host) => Math.Max(1, inbound.GetValueOrDefault(host));

        private static string SenderHost(PlanningTopology topology, string endpoint) =>
            topology.IsGpu(endpoint) ? topology.Gpu(endpoint).Host
            : TransferPlan.HostOfHostCopy(endpoint) ?? throw new ArgumentException($"\"{endpoint}\" cannot send over the network", "input");

        private static void Add(Dictionary<string, int> counts, string host) => counts[host] = counts.GetValueOrDefault(host) + 1;
    }
}
