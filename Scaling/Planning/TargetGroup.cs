namespace BlitzScale.Scaling.Planning;

/// <summary>
/// The targets of one host that share an NVLink group. A group is fed once — one member receives from outside,
/// the others get the image over NVLink — so no group ever takes two network streams of the same blobs.
/// </summary>
/// <param name="Host">The host.</param>
/// <param name="Group">The NVLink group's name.</param>
/// <param name="Leaf">The host's leaf switch.</param>
/// <param name="Members">The targets, fastest first (ties by key).</param>
internal sealed record TargetGroup(string Host, string Group, string Leaf, IReadOnlyList<GpuSpec> Members)
{
    public double Fastest => Members[0].RelativeSpeed;

    /// <summary>Groups <paramref name="targets"/> by host and NVLink group, sorted by host then group name.</summary>
    public static IReadOnlyList<TargetGroup> Form(PlanningTopology topology, IEnumerable<string> targets) =>
        targets.Select(topology.Gpu)
            .GroupBy(g => (g.Host, g.NvlinkGroup))
            .Select(g => new TargetGroup(g.Key.Host, g.Key.NvlinkGroup, topology.Host(g.Key.Host).LeafSwitch, FastestFirst(g)))
            .OrderBy(g => g.Host, StringComparer.Ordinal)
            .ThenBy(g => g.Group, StringComparer.Ordinal)
            .ToArray();

    private static GpuSpec[] FastestFirst(IEnumerable<GpuSpec> gpus) =>
        gpus.OrderByDescending(g => g.RelativeSpeed).ThenBy(g => g.Key, StringComparer.Ordinal).ToArray();
}
