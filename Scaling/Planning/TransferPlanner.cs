namespace BlitzScale.Scaling.Planning;

/// <summary>
/// Plans how to bring a model's parameters to new GPUs (BlitzScale's multicast chains). Pure and deterministic:
/// the same input, in any list order, gives the same plan.
/// </summary>
public static class TransferPlanner
{
    /// <summary>
    /// Plans chains that bring every target the whole image exactly once. The rules, in order:
    /// <list type="number">
    /// <item>Targets that already hold the model (are sources) are dropped; with none left the plan is empty.</item>
    /// <item>Sources whose outbound link is busy are pruned; Prefill sources are used only when no Decode or
    /// Serving source is left (their links carry KV caches).</item>
    /// <item>With GPU sources left: targets sharing a host and NVLink group with a source get the image over NVLink
    /// from it; every other NVLink group is fed once from outside and passes the image on over NVLink; each leaf
    /// switch with sources and targets gets one chain, split over the g source GPUs of the chosen host and group
    /// (1/g of the image each, then an all-gather among the receivers); targets on leaves without sources are
    /// appended, leaf by leaf, to the shortest chain (see <c>GpuChainPlanner</c>).</item>
    /// <item>Except that, where the host copy's host declares its copy into a GPU faster than its NIC (<see cref="HostSpec.CopiesFasterThanNic"/>)
    /// and no GPU there can send, that host's targets get the image from its memory, one chain of their own that touches no
    /// network (an H200 copies from pinned memory at 55 GB/s, 4.4 × a 100 Gbit/s NIC); not when the caller named the
    /// senders (<see cref="PlanningInput.HostCopyBesideGpus"/>).</item>
    /// <item>Otherwise, with a host copy: one chain from it, its own host first, then its leaf, then the other leaves.</item>
    /// <item>Otherwise, from storage: one chain per leaf, so no chain crosses leaves.</item>
    /// </list>
    /// Within a chain faster targets come first (hosts ranked by their fastest target, ties by name; a host's
    /// groups and a leaf's hosts stay together). Each host NIC carries at most one outbound network stream (a split
    /// send counts once), and each GPU one chain stream, or two only where <see cref="PlanningLimits.MaxStreamsPerGpu"/>
    /// lets a source that feeds its NVLink neighbours also start the network chain.
    /// </summary>
    /// <param name="input">The topology, image, sources and targets.</param>
    /// <exception cref="ArgumentException">
    /// The input is invalid (unknown GPU or host, empty targets, duplicate keys, a blob size ≤ 0, a limit below 1),
    /// or targets remain while no GPU, host copy or storage can send.
    /// </exception>
    public static TransferPlan Plan(PlanningInput input)
    {
        var topology = PlanningInputValidator.Validate(input);
        var holders = input.Sources.Select(s => s.Gpu).ToHashSet(StringComparer.Ordinal);
        var targets = input.Targets.Where(t => !holders.Contains(t)).ToArray();
        if (targets.Length == 0) return TransferPlan.Empty;

        var groups = TargetGroup.Form(topology, targets);
        var senders = UsableSources(input.Sources);
        IEnumerable<ChainBuilder> chains;
        if (senders.Count > 0)
            chains = WithGpus(topology, senders, input.HostCopyBesideGpus ? input.HostCopy : null, groups, input.Limits);
        else if (input.HostCopy is { } host)
            chains = [FromHostCopy(topology, host, groups)];
        else if (input.StorageAvailable)
            chains = FromStorage(topology, groups);
        else
            throw new ArgumentException(
                "no source: every GPU source is busy or absent, there is no host copy and storage is unavailable", nameof(input));

        return new TransferPlan(chains.Select(c => c.Build())
            .OrderBy(c => c.Leaf, StringComparer.Ordinal)
            .ThenBy(c => c.Feed[0].From, StringComparer.Ordinal)
            .ThenBy(c => c.Targets[0], StringComparer.Ordinal)
            .ToArray());
    }

    /// <summary>The sources that may send: not busy, and not Prefill while a Decode or Serving source is idle.</summary>
    internal static IReadOnlyList<GpuSource> UsableSources(IEnumerable<GpuSource> sources)
    {
        var idle = sources.Where(s => !s.OutboundBusy).ToArray();
        return idle.Any(s => s.Role != SourceRole.Prefill) ? idle.Where(s => s.Role != SourceRole.Prefill).ToArray() : idle;
    }

    /// <summary>
    /// Chains from the GPU senders, but the host copy's host's targets from its memory where that is the faster way in and
    /// no sender is on that host (a sender there is closer still: NVLink or PCIe from a GPU, no copy out of host memory).
    /// </summary>
    private static List<ChainBuilder> WithGpus(
        PlanningTopology topology, IReadOnlyList<GpuSource> senders, string? hostCopy, IReadOnlyList<TargetGroup> groups, PlanningLimits limits)
    {
        var local = hostCopy is { } copy && topology.Host(copy).CopiesFasterThanNic
            && !senders.Any(s => string.Equals(topology.Gpu(s.Gpu).Host, copy, StringComparison.Ordinal))
            ? groups.Where(g => string.Equals(g.Host, copy, StringComparison.Ordinal)).ToArray()
            : [];
        var chains = new List<ChainBuilder>();
        if (local.Length > 0) chains.Add(FromHostCopy(topology, hostCopy!, local));
        if (local.Length < groups.Count) chains.AddRange(GpuChainPlanner.Plan(topology, senders, [.. groups.Except(local)], limits));
        return chains;
    }

    private static ChainBuilder FromHostCopy(PlanningTopology topology, string host, IReadOnlyList<TargetGroup> groups)
    {
        var chain = ChainBuilder.FromHostCopy(topology, host);
        foreach (var group in ChainOrder.ArrangeLeaves(groups, chain.Leaf, host)) chain.Append(group);
        return chain;
    }

    private static IEnumerable<ChainBuilder> FromStorage(PlanningTopology topology, IReadOnlyList<TargetGroup> groups)
    {
        foreach (var leaf in groups.GroupBy(g => g.Leaf, StringComparer.Ordinal).OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            var chain = ChainBuilder.FromStorage(topology, leaf.Key);
            foreach (var group in ChainOrder.Arrange(leaf, firstHost: null)) chain.Append(group);
            yield return chain;
        }
    }
}
