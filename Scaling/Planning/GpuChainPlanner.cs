namespace BlitzScale.Scaling.Planning;

/// <summary>
/// Plans chains from GPU sources:
/// <list type="number">
/// <item>A target group in the same host and NVLink group as a source gets the image over NVLink from that
/// source (a chain of its own that touches no network).</item>
/// <item>Every leaf switch with both sources and remaining targets gets one chain, from the source group with the
/// most GPUs that still have a free stream (ties: host, then group name), split over all of them; its own host's
/// targets first (over PCIe), then the leaf's other hosts. If every source GPU on the leaf is taken by NVLink
/// copies, the chain continues the NVLink chain of the first source group instead.</item>
/// <item>Targets on leaves without a source join chains leaf by leaf, largest leaf first (ties by name), each
/// leaf appended whole to the end of the network chain that has the fewest targets at that moment (ties: the
/// earlier-made chain) — at the end because crossing leaves there delays no target of the chain's own leaf, to
/// the shortest so chains stay balanced. With no network chain yet, one is started from the best source group
/// anywhere, ranked as above.</item>
/// </list>
/// </summary>
internal static class GpuChainPlanner
{
    public static IReadOnlyList<ChainBuilder> Plan(
        PlanningTopology topology, IReadOnlyList<GpuSource> usable, IReadOnlyList<TargetGroup> targets, PlanningLimits limits)
    {
        var sourceGroups = SourceGroup.Form(topology, usable);
        var nvlinkChains = new Dictionary<(string Host, string Group), ChainBuilder>();
        var all = new List<ChainBuilder>();
        var remaining = new List<TargetGroup>();

        foreach (var group in targets)
        {
            var local = sourceGroups.FirstOrDefault(s => s.Host == group.Host && s.Group == group.Group);
            if (local is null) { remaining.Add(group); continue; }
            var chain = ChainBuilder.FromGpus(topology, local.Leaf, [local.Senders[0]]);
            chain.Append(group);
            nvlinkChains[(local.Host, local.Group)] = chain;
            all.Add(chain);
        }

        var network = new List<ChainBuilder>();
        var leaves = remaining.GroupBy(g => g.Leaf, StringComparer.Ordinal).OrderBy(l => l.Key, StringComparer.Ordinal).ToArray();
        foreach (var leaf in leaves.Where(l => sourceGroups.Any(s => s.Leaf == l.Key)))
        {
            var chain = StartNetworkChain(topology, sourceGroups.Where(s => s.Leaf == leaf.Key), all, limits, nvlinkChains);
            foreach (var group in ChainOrder.Arrange(leaf, chain.SourceHost)) chain.Append(group);
            Add(all, chain);
            network.Add(chain);
        }

        var orphans = leaves.Where(l => !sourceGroups.Any(s => s.Leaf == l.Key))
            .OrderByDescending(l => l.Sum(g => g.Members.Count))
            .ThenBy(l => l.Key, StringComparer.Ordinal);
        foreach (var leaf in orphans)
        {
            ChainBuilder chain;
            if (network.Count > 0)
            {
                chain = network.OrderBy(c => c.TargetCount).First(); // OrderBy is stable: ties go to the earlier chain.
            }
            else
            {
                chain = StartNetworkChain(topology, sourceGroups, all, limits, nvlinkChains);
                Add(all, chain);
                network.Add(chain);
            }
            foreach (var group in ChainOrder.Arrange(leaf, firstHost: null)) chain.Append(group);
        }

        return all;
    }

    private static ChainBuilder StartNetworkChain(
        PlanningTopology topology, IEnumerable<SourceGroup> candidates, IReadOnlyList<ChainBuilder> chains,
        PlanningLimits limits, Dictionary<(string Host, string Group), ChainBuilder> nvlinkChains)
    {
        var streams = StreamsPerSender(chains);
        var best = candidates
            .Select(s => (Group: s, Free: s.Senders.Where(g => streams.GetValueOrDefault(g) < limits.MaxStreamsPerGpu).ToArray()))
            .OrderByDescending(c => c.Free.Length)
            .ThenBy(c => c.Group.Leaf, StringComparer.Ordinal)
            .ThenBy(c => c.Group.Host, StringComparer.Ordinal)
            .ThenBy(c => c.Group.Group, StringComparer.Ordinal)
            .First();
        if (best.Free.Length > 0) return ChainBuilder.FromGpus(topology, best.Group.Leaf, best.Free);
        // Every sender of this group is busy with its group's NVLink chain (a group's GPUs are only ever taken by
        // that chain), so the network part carries on from that chain's tail instead of needing another stream.
        return nvlinkChains[(best.Group.Host, best.Group.Group)];
    }

    /// <summary>How many outbound chain streams (feed hops and hops) each endpoint has in <paramref name="chains"/>.</summary>
    private static Dictionary<string, int> StreamsPerSender(IEnumerable<ChainBuilder> chains)
    {
        var streams = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var chain in chains.Select(c => c.Build()))
            foreach (var hop in chain.Feed.Concat(chain.Hops))
                streams[hop.From] = streams.GetValueOrDefault(hop.From) + 1;
        return streams;
    }

    /// <summary>Adds <paramref name="chain"/> unless it is already there (a continued NVLink chain is).</summary>
    private static void Add(List<ChainBuilder> chains, ChainBuilder chain)
    {
        if (!chains.Contains(chain)) chains.Add(chain);
    }
}
