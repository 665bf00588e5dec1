using BlitzScale.Scaling.Instances;
using BlitzScale.Scaling.Live;

namespace BlitzScale.Scaling.Planning;

/// <summary>
/// The instances a scale-up that names no sources loads a target from. Every instance holding the model whose link out is
/// free; without one, every loading instance at the end of a chain: it forwards what lands as a chain's inner node does, so
/// new targets join that chain instead of sharing the link of a holder that already feeds one. A holder that feeds another
/// host still sends to a target on its own host (that copy does not cross its link). Without a free sender, the holders, as
/// before.
/// </summary>
/// <remarks>
/// An autoscaler scales up again while its last scale-up still loads (a burst that keeps growing): 1 → 2, then 2 → 3 a
/// second later. From the one serving instance alone, each new load shared its link out with the ones before and all of
/// them finished late (three loads of one image over one link take three times as long); behind the loading one, each
/// link carries the image once and the new target finishes moments after the one it follows.
/// A free holder goes before a chain's end: a target behind a loading instance finishes no sooner than that instance
/// (it gets each layer after it), one fed by a holder in one image's time from now. And the chain's end, forwarding to a
/// target, could no longer pair for live scaling (<see cref="LivePartners"/>): in bench replay on one-GPU hosts (6 December)
/// the third scale-up joined the chain of the second while the first's GPU was free, and the second loaded 4.4 s over the
/// network serving nothing.
/// </remarks>
public static class ScaleUpSources
{
    /// <param name="instances">All of the model's instances.</param>
    /// <param name="hops">Who forwards layers to whom in the loads planned so far.</param>
    /// <param name="targetHost">The host of the target to feed.</param>
    public static IReadOnlyList<InstanceLifecycle> Choose(IReadOnlyList<InstanceLifecycle> instances, LoadHops hops, string targetHost)
    {
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(hops);
        var loading = instances.Where(Loads).Select(i => i.Index).ToHashSet();
        var holders = instances.Where(i => i.IsLoadSource).ToList();
        if (loading.Count == 0) return holders;
        bool Free(InstanceLifecycle instance) =>
            string.Equals(instance.Host, targetHost, StringComparison.Ordinal) || !hops.From(instance.Index).Any(loading.Contains);
        var freeHolders = holders.Where(Free).ToList();
        if (freeHolders.Count > 0) return freeHolders;
        var chainEnds = instances.Where(i => loading.Contains(i.Index) && Free(i)).ToList();
        return chainEnds.Count > 0 ? chainEnds : holders;
    }

    private static bool Loads(InstanceLifecycle instance) => instance.IsLoading;
}
