namespace BlitzScale.Scaling.Planning;

/// <summary>
/// The order in which a chain visits target groups. Faster targets come first, but a host's groups stay together
/// (one network stream into the host and one out, whatever its group count) and so do a leaf's hosts (one leaf
/// crossing per leaf), so "faster first" ranks hosts by their fastest target, then groups inside a host.
/// </summary>
internal static class ChainOrder
{
    /// <summary>
    /// The groups of one leaf, host by host: <paramref name="firstHost"/> first when given (reaching its
    /// GPUs takes no network), then hosts by fastest target (descending) and name; inside a host, groups by
    /// fastest member and name.
    /// </summary>
    public static IEnumerable<TargetGroup> Arrange(IEnumerable<TargetGroup> groups, string? firstHost) =>
        groups.GroupBy(g => g.Host, StringComparer.Ordinal)
            .OrderBy(h => string.Equals(h.Key, firstHost, StringComparison.Ordinal) ? 0 : 1)
            .ThenByDescending(h => h.Max(g => g.Fastest))
            .ThenBy(h => h.Key, StringComparer.Ordinal)
            .SelectMany(h => h.OrderByDescending(g => g.Fastest).ThenBy(g => g.Group, StringComparer.Ordinal));

    /// <summary>
    /// Groups of several leaves, leaf by leaf: <paramref name="firstLeaf"/> first when given, then leaves by fastest
    /// target and name; each leaf as in <see cref="Arrange(IEnumerable{TargetGroup}, string?)"/>.
    /// </summary>
    public static IEnumerable<TargetGroup> ArrangeLeaves(IEnumerable<TargetGroup> groups, string? firstLeaf, string? firstHost) =>
        groups.GroupBy(g => g.Leaf, StringComparer.Ordinal)
            .OrderBy(l => string.Equals(l.Key, firstLeaf, StringComparison.Ordinal) ? 0 : 1)
            .ThenByDescending(l => l.Max(g => g.Fastest))
            .ThenBy(l => l.Key, StringComparer.Ordinal)
            .SelectMany(l => Arrange(l, firstHost));
}
