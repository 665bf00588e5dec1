using BlitzScale.Scaling.Routing;
using BlitzScale.Scaling.Instances;

namespace BlitzScale.Scaling.Live;

/// <summary>Which serving instance a loading one pairs with for live scaling.</summary>
public static class LivePartners
{
    /// <summary>
    /// The partner for <paramref name="fresh"/>: among Serving instances not already paired and holding open requests, the one
    /// with the most outstanding tokens (the most overloaded; ties to the lowest index). Null when <paramref name="fresh"/>
    /// cannot pair yet (not Loading, no layer landed, or every layer landed), when it forwards layers to an instance still
    /// loading, when it is to stay out (a load from inside its host that does not pay, <see cref="PairsWithinHost"/>), or when
    /// no instance needs the help.
    /// </summary>
    /// <remarks>
    /// A chain's inner hop sends the layers it receives on to the next hop over its link, at the link's rate. Paired, it would
    /// also send its partner a prompt's hidden states for every request it starts (tokens × hidden × dtype bytes): on that same
    /// link they slow the rest of the chain, and every instance behind it serves later. A chain's last hop sends nothing on, so
    /// it pairs instead; it holds the layers moments after the hops before it.
    /// A load from inside the host (the host copy over PCIe, a neighbour over NVLink) is over in about a second, 4.4 × or more
    /// faster than the network's. Unless the requests would go to it split, a pair would serve that second one request at a
    /// time, at small split points, its split requests holding the busy instance's seats beyond the load at the pair's slower
    /// pace.
    /// </remarks>
    /// <param name="fresh">The loading instance.</param>
    /// <param name="instances">All of the model's instances.</param>
    /// <param name="outstanding">Outstanding tokens of an instance (the router's count).</param>
    /// <param name="feeds">The instances that receive layers from an instance (its next hops in the load's chains); none when null.</param>
    /// <param name="staysOut">Whether an instance is to stay out of pairs (a load from inside its host that does not pay); none when null.</param>
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

    /// <summary>
    /// Whether an instance loading from inside its host (<see cref="LocalLoads"/>) pairs: only where the requests' mix would go
    /// to it split, that is where a request of the mix's shape, split at half the layers (the mean split point of a load at an
    /// even pace), costs the busy instance less than whole (<see cref="RequestRouter.SplitHelps"/>, the router's own rule, with
    /// its split tokens at three times a whole one's steps). Elsewhere the router sends the LiveNew one request at a time, and
    /// a pair only slows a load that is over in about a second anyway. True when the mix or the seats are not known.
    /// </summary>
    /// <remarks>
    /// The rule's first version asked only whether the mix was bound by prefill (<see cref="RequestMix.SeatsBind"/>), without a
    /// split's slower pace. In bench replay (prompts up to 512 tokens, 23 out on average) the mix of the last requests read
    /// prefill-bound at the burst, so the host copy's load paired, its LiveNew served 6 requests one by one during its load,
    /// and the load took 1.66 s against blitz-fast's 1.24 s; blitz's p99 was 1.21 × blitz-fast's. Measured before that, with
    /// `bench live --rounds 3`: default requests (32 in, 32 out) 1.096, 0.908, 1.080 (blitz ÷ blitz-fast) without pairing such
    /// a load, 1.276, 0.880, 1.507 with; code-shaped requests (1,469 in, 13 out) 1.051, 0.923, 0.945 without, 0.816, 0.804,
    /// 0.905 with. Both rules pair the code-shaped load and leave the default one alone.
    /// </remarks>
    public static bool PairsWithinHost(RequestMix? mix, InstanceSeats? seats) => mix is not { } known || seats is not { } s
        || RequestRouter.SplitHelps((long)Math.Round(known.EstimatedTokens), (long)Math.Round(known.PromptTokens), s, MeanSplitShare, known);

    /// <summary>The share of layers a request split during a load at an even pace has run on the LiveNew, on average.</summary>
    internal const double MeanSplitShare = 0.5;

    private static bool ForwardsToLoading(InstanceLifecycle fresh, IReadOnlyList<InstanceLifecycle> instances, Func<int, IEnumerable<int>> feeds)
    {
        foreach (int next in feeds(fresh.Index))
        {
            if (instances.FirstOrDefault(i => i.Index == next) is { State: InstanceState.Loading or InstanceState.LiveNew }) return true;
        }
        return false;
    }
}
