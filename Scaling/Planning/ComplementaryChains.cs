namespace BlitzScale.Scaling.Planning;

/// <summary>
/// Loads in complementary orders: a plan's network chain from a serving GPU to two or more targets gives its last target to
/// the host copy instead, over the host copy's own link, landing the layers last first. The chain's new last target, landing
/// them first first, and the cut one then hold the whole model between them at about half their load time and serve as a
/// pipeline (<see cref="Live.LivePartners.ChooseComplementary"/>). Pure.
/// </summary>
/// <remarks>
/// Only where it costs the loads nothing: a multicast chain's hops each take the whole image over their link, and the host
/// copy's host sends it over a link no hop of the plan uses, so the cut target's load takes about as long as before (the
/// image over one link), and the chain's does not grow. The host copy must hold the whole image and be on a host that
/// neither sends in the chain nor receives; a chain that splits its feed over several GPUs, or crosses NVLink or PCIe inside
/// a host, is left as it is.
/// </remarks>
public static class ComplementaryChains
{
    /// <summary>
    /// The plan with the first chain that qualifies cut as above, and the targets of the pair: <c>Head</c> (the chain's last
    /// target after the cut) and <c>Tail</c> (fed last first from the host copy). The plan unchanged and no pair when none qualifies.
    /// </summary>
    /// <param name="plan">The planner's chains.</param>
    /// <param name="hostCopyHost">The host of the model's one host copy, whole; null when there is none.</param>
    /// <param name="hostOf">The host of a GPU key.</param>
    public static (TransferPlan Plan, (string Head, string Tail)? Pair) Arrange(TransferPlan plan, string? hostCopyHost, Func<string, string> hostOf)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(hostOf);
        if (hostCopyHost is null) return (plan, null);
        string copy = TransferPlan.HostCopyEndpoint(hostCopyHost);
        // The copy's host must send nothing over the network in the plan: its link is the cut target's.
        bool copyLinkBusy = plan.Chains.SelectMany(c => c.Feed.Concat(c.Hops))
            .Any(h => h.Link == LinkType.Network && string.Equals(SenderHost(h.From, hostOf), hostCopyHost, StringComparison.Ordinal));
        if (copyLinkBusy) return (plan, null);
        for (int i = 0; i < plan.Chains.Count; i++)
        {
            var chain = plan.Chains[i];
            if (!Qualifies(chain, hostCopyHost, hostOf)) continue;
            var last = chain.Hops[^1];
            var kept = chain with { Hops = chain.Hops.Take(chain.Hops.Count - 1).ToArray() };
            var cut = new TransferChain(chain.Leaf, SourceKind.HostCopy, [new TransferHop(copy, last.To, LinkType.Network, last.Blobs)], [], [])
            {
                Descending = true,
            };
            var chains = plan.Chains.ToList();
            chains[i] = kept;
            chains.Insert(i + 1, cut);
            return (new TransferPlan(chains), (kept.Targets[^1], last.To));
        }
        return (plan, null);
    }

    // A GPU's chain of network hops only, one sender, two or more targets, none on the copy's host nor sent from it.
    private static bool Qualifies(TransferChain chain, string copyHost, Func<string, string> hostOf)
    {
        if (chain.Source != SourceKind.Gpu || chain.IsSplit || chain.Descending || chain.Hops.Count == 0) return false;
        if (chain.Feed[0].Link != LinkType.Network || chain.Hops.Any(h => h.Link != LinkType.Network)) return false;
        if (string.Equals(hostOf(chain.Feed[0].From), copyHost, StringComparison.Ordinal)) return false;
        return chain.Targets.All(t => !string.Equals(hostOf(t), copyHost, StringComparison.Ordinal));
    }

    private static string? SenderHost(string from, Func<string, string> hostOf) =>
        from == TransferPlan.StorageEndpoint ? null : TransferPlan.HostOfHostCopy(from) ?? hostOf(from);
}
