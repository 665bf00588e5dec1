namespace BlitzScale.Scaling.Planning;

/// <summary>The usable source GPUs of one host and NVLink group: together they can split a send.</summary>
/// <param name="Host">The host.</param>
/// <param name="Group">The NVLink group's name.</param>
/// <param name="Leaf">The host's leaf switch.</param>
/// <param name="Senders">The source GPUs, by key.</param>
internal sealed record SourceGroup(string Host, string Group, string Leaf, IReadOnlyList<string> Senders)
{
    /// <summary>Groups <paramref name="sources"/> by host and NVLink group, sorted by host then group name.</summary>
    public static IReadOnlyList<SourceGroup> Form(PlanningTopology topology, IEnumerable<GpuSource> sources) =>
        sources.Select(s => topology.Gpu(s.Gpu))
            .GroupBy(g => (g.Host, g.NvlinkGroup))
            .Select(g => new SourceGroup(g.Key.Host, g.Key.NvlinkGroup, topology.Host(g.Key.Host).LeafSwitch,
                g.Select(x => x.Key).Order(StringComparer.Ordinal).ToArray()))
            .OrderBy(g => g.Host, StringComparer.Ordinal)
            .ThenBy(g => g.Group, StringComparer.Ordinal)
            .ToArray();
}
