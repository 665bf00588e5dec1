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
        if (fresh.State != InstanceState.Loading || fresh.LoadedLayers == 0 || fresh.HoldsEveryLayer) return null;
        if (feeds is not null && ForwardsToLoading(fresh, instances, feeds)) return null;
        if (staysOut is not null && staysOut(fresh.Index)) return null;
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

    private static bool ForwardsToLoading(InstanceLifecycle fresh, IReadOnlyList<InstanceLifecycle> instances, Func<int, IEnumerable<int>> feeds)
    {
        foreach (int next in feeds(fresh.Index))
        {
            if (instances.FirstOrDefault(i => i.Index == next) is { State: InstanceState.Loading or InstanceState.LiveNew }) return true;
        }
        return false;
    }
}
