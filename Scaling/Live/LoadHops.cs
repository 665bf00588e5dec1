namespace BlitzScale.Scaling.Live;

/// <summary>
/// Which loading instances forward layers to which (the next hops of the loads' chains), by instance number, as the feed plans
/// said: what <see cref="LivePartners.Choose"/> reads to keep a forwarding hop out of a live pair. A load planned again
/// (a refeed) replaces what fed its target; an instance that leaves is neither a forwarder nor a target any more.
/// </summary>
public sealed class LoadHops
{
    private readonly Dictionary<int, List<int>> _next = [];

    /// <summary>The instances <paramref name="from"/> forwards layers to; empty when none.</summary>
    public IReadOnlyList<int> From(int from) => _next.TryGetValue(from, out var next) ? next : [];

    /// <summary>A plan's hops: <paramref name="from"/> feeds <paramref name="to"/>. A hop from an instance to itself is ignored.</summary>
    public void Learn(int from, int to)
    {
        if (from == to) return;
        if (!_next.TryGetValue(from, out var next)) _next[from] = next = [];
        if (!next.Contains(to)) next.Add(to);
    }

    /// <summary>
    /// <paramref name="target"/>'s load was planned again: whoever fed it before does not any more (the hops the new plan
    /// names are learnt after this).
    /// </summary>
    public void Replanned(int target)
    {
        foreach (var (from, next) in _next.ToList())
        {
            next.Remove(target);
            if (next.Count == 0) _next.Remove(from);
        }
    }

    /// <summary><paramref name="instance"/> is gone: it forwards to nobody, and nobody forwards to it.</summary>
    public void Forget(int instance)
    {
        _next.Remove(instance);
        Replanned(instance);
    }
}
