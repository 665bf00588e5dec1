using BlitzScale.Scaling.Instances;

namespace BlitzScale.Scaling.Live;

/// <summary>Which serving instance a loading one pairs with for live scaling.</summary>
public static class LivePartners
{
    /// <summary>
    /// The partner for <paramref name="fresh"/>: among Serving instances not already paired and holding open requests, the one
    /// with the most outstanding tokens (the most overloaded; ties to the lowest index). Null when <paramref name="fresh"/>
    /// cannot pair yet (not Loading, no layer landed, or every layer landed) or no instance needs the help.
    /// </summary>
    /// <param name="fresh">The loading instance.</param>
    /// <param name="instances">All of the model's instances.</param>
    /// <param name="outstanding">Outstanding tokens of an instance (the router's count).</param>
    public static InstanceLifecycle? Choose(InstanceLifecycle fresh, IReadOnlyList<InstanceLifecycle> instances, Func<int, long> outstanding)
    {
        ArgumentNullException.ThrowIfNull(fresh);
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(outstanding);
        if (fresh.State != InstanceState.Loading || fresh.LoadedLayers == 0 || fresh.HoldsEveryLayer) return null;
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
}
