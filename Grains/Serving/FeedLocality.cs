using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Serving;

/// <summary>Which targets of a feed plan load from inside their own host, from sources that hold the whole image. Pure.</summary>
internal static class FeedLocality
{
    /// <summary>
    /// The targets of <paramref name="feeds"/> (by GPU) every feed of which is <see cref="FeedKind.SameHost"/> and comes from a
    /// complete source (<paramref name="holdsImage"/>: a GPU holding every layer, a host copy that was whole before this plan) or
    /// from another target that loads so itself (a chain host copy → gpu0 → gpu1 inside one host). A feed over the network,
    /// from storage, or from a source still filling makes its target, and every target behind it, not local.
    /// </summary>
    public static IReadOnlySet<string> WithinHost(IReadOnlyDictionary<string, IReadOnlyList<LoadFeed>> feeds, Func<string, bool> holdsImage)
    {
        var local = new HashSet<string>(StringComparer.Ordinal);
        // Each pass adds the targets whose sources are now known local; a chain of n hops needs n passes.
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var (target, parts) in feeds)
            {
                if (local.Contains(target) || parts.Count == 0) continue;
                if (parts.All(f => f.Kind == FeedKind.SameHost && (holdsImage(f.From) || local.Contains(f.From))))
                {
                    local.Add(target);
                    grew = true;
                }
            }
        }
        return local;
    }
}
