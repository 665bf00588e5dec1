using BlitzScale.Scaling.Instances;

namespace BlitzScale.Scaling.Live;

/// <summary>Which serving instance a loading one pairs with for live scaling.</summary>
public static class LivePartners
{
    /// <summary>
    /// The partner for <paramref name="fresh"/>: among Serving instances not already paired and holding open requests, the one
    /// with the most outstanding tokens (the most overloaded; ties to the lowest index). Null when <paramref name="fresh"/>
    /// cannot pair yet (not Loading, no layer landed, or every layer landed), when it forwards layers to an instance still
    /// loading, when it is to stay out (a load from inside its host, <see cref="LocalLoads"/>), or when
    /// no instance needs the help.
    /// </summary>
    /// <remarks>
    /// A chain's inner hop sends the layers it receives on to the next hop over its link, at the link's rate. Paired, it would
    /// also send its partner a prompt's hidden states for every request it starts (tokens × hidden × dtype bytes): on that same
    /// link they slow the rest of the chain, and every instance behind it serves later. A chain's last hop sends nothing on, so
    /// it pairs instead; it holds the layers moments after the hops before it.
    /// A load from inside the host (the host copy over PCIe, a neighbour over NVLink) is over in about a second, 4.4 × or more
    /// faster than the network's, too soon for a pair to give anything (<see cref="LocalLoads"/>).
    /// </remarks>
    /// <param name="fresh">The loading instance.</param>
    /// <param name="instances">All of the model's instances.</param>
    /// <param name="outstanding">Outstanding tokens of an instance (the router's count).</param>
    /// <param name="feeds">The instances that receive layers from an instance (its next hops in the load's chains); none when null.</param>
    /// <param name="staysOut">Whether an instance is to stay out of pairs (a load from inside its host); none when null.</param>
    public static InstanceLifecycle? Choose(InstanceLifecycle fresh, IReadOnlyList<InstanceLifecycle> instances, Func<int, long> outstanding,
        Func<int, IEnumerable<int>>? feeds = null, Func<int, bool>? staysOut = null)
    {
        ArgumentNullException.ThrowIfNull(fresh);
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(outstanding);
        if (fresh.State != InstanceState.Loading || !MayRunFirstLayers(fresh, instances, feeds, staysOut)) return null;
        InstanceLifecycle? best = null;
        long most = 0;
        foreach (var instance in instances)
        {
            if (instance.State != InstanceState.Serving || instance.Partner is not null) continue;
            long tokens = outstanding(instance.Index);
            if (tokens > most || (tokens == most && best is not null && instance.Index < best.Index))
            {
                best = tokens > 0 ? instance : best;
                most = Math.Max(most, tokens);
            }
        }
        return best;
    }

    /// <summary>
    /// Loads in complementary orders: the pair <paramref name="landed"/> can form now that more of its layers landed, as
    /// (head, tail). The head is a Loading instance landing its first layers first, or a LiveNew beside a busy instance until
    /// now, that could pair (as in <see cref="Choose"/>:
    /// at least one layer, not every one, forwarding to no loading instance, not staying out); the tail a Loading, unpaired
    /// instance landing its last layers first (<paramref name="loadsLastFirst"/>), not whole; and the head's first layers and
    /// the tail's last cover the model. For a tail that landed, the head holding the most layers (ties to the lowest index);
    /// for a head, the tail holding the most. Null when no such pair exists.
    /// </summary>
    /// <remarks>
    /// Two new instances landing their layers in opposite orders, each from a source of its own, hold the whole model between
    /// them at half their load time; from then on they serve as a pipeline of two instances' capacity, where a pair with a
    /// busy instance adds at most one and takes the busy instance's steps for the tails. In bench live's fluid model over the
    /// network that gave 0.28–0.44 of blitz-fast's p99 against 0.60–0.68 for an ideal pair with the busy instance
    /// (<c>p99_ttft_ideal_ratio_blitz_fast_complementary</c>, docs/benchmarks.md).
    /// </remarks>
    public static (InstanceLifecycle Head, InstanceLifecycle Tail)? ChooseComplementary(InstanceLifecycle landed, IReadOnlyList<InstanceLifecycle> instances,
        Func<int, bool> loadsLastFirst, Func<int, IEnumerable<int>>? feeds = null, Func<int, bool>? staysOut = null)
    {
        ArgumentNullException.ThrowIfNull(landed);
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(loadsLastFirst);
        // A head may be loading alone or paired with a busy instance until now (it leaves that one for the tail).
        bool CanHead(InstanceLifecycle i) =>
            (i.State == InstanceState.Loading || i.State == InstanceState.LiveNew && i.Partner is { } p && instances.Any(o => o.Index == p && o.State == InstanceState.LiveOld))
            && !loadsLastFirst(i.Index) && MayRunFirstLayers(i, instances, feeds, staysOut);
        bool CanTail(InstanceLifecycle i) =>
            i.State == InstanceState.Loading && i.Partner is null && !i.HoldsEveryLayer && loadsLastFirst(i.Index) && i.LoadedTailLayers > 0;
        bool Cover(InstanceLifecycle head, InstanceLifecycle tail) => head.LoadedLayers + tail.LoadedTailLayers >= head.TotalLayers;

        if (CanTail(landed))
        {
            var head = instances.Where(i => CanHead(i) && Cover(i, landed)).OrderByDescending(i => i.LoadedLayers).ThenBy(i => i.Index).FirstOrDefault();
            return head is null ? null : (head, landed);
        }
        if (!CanHead(landed)) return null;
        var tail = instances.Where(i => CanTail(i) && Cover(landed, i)).OrderByDescending(i => i.LoadedTailLayers).ThenBy(i => i.Index).FirstOrDefault();
        return tail is null ? null : (landed, tail);
    }

    // Whether a loading instance may run its requests' first layers for a partner: it holds some and not all, forwards layers to
    // no instance still loading, and does not stay out (the one rule of Choose and ChooseComplementary).
    private static bool MayRunFirstLayers(InstanceLifecycle fresh, IReadOnlyList<InstanceLifecycle> instances, Func<int, IEnumerable<int>>? feeds,
        Func<int, bool>? staysOut) =>
        fresh.LoadedLayers > 0 && !fresh.HoldsEveryLayer
        && (feeds is null || !ForwardsToLoading(fresh, instances, feeds)) && (staysOut is null || !staysOut(fresh.Index));

    private static bool ForwardsToLoading(InstanceLifecycle fresh, IReadOnlyList<InstanceLifecycle> instances, Func<int, IEnumerable<int>> feeds)
    {
        foreach (int next in feeds(fresh.Index))
        {
            if (instances.FirstOrDefault(i => i.Index == next) is { IsLoading: true }) return true;
        }
        return false;
    }
}
