using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Scaling.Caching;

namespace BlitzScale.Grains.Serving;

/// <summary>Where the one host copy of a multicast deployment lives. Pure.</summary>
internal static class CopyHostChooser
{
    /// <summary>
    /// The host with the most memory left for copies (ties by name); but first, where a host copies from its memory into its
    /// GPUs faster than its NIC receives, one such host that keeps a GPU free after <paramref name="placed"/> and has room for
    /// <paramref name="imageBytes"/>: a later scale-up loads that GPU from the copy, not over the network (<c>TransferPlanner</c>).
    /// Among those, a host none of whose GPUs is placed goes first: the planner feeds a host's targets from its copy only
    /// while no GPU of that host can send, so a copy beside a placed instance feeds nothing while that instance serves.
    /// Without that preference a one-GPU host's copy sits beside the instance deployed from it, and every new instance loads over
    /// the network; on two-GPU hosts the copy sat beside the first instance and the other host's GPUs loaded over the network.
    /// Last, a copy that would share its host with every placed GPU goes to another host with room, as <see cref="CopyKeeper"/>
    /// would move it there once they serve: one host's death must not take the whole model.
    /// </summary>
    /// <param name="hosts">The cluster's hosts.</param>
    /// <param name="memory">Each host's memory for copies.</param>
    /// <param name="placed">The GPUs the deployment's instances go to, or null when not known (a copy made again).</param>
    /// <param name="imageBytes">The model image's size.</param>
    public static string Choose(IReadOnlyList<HostInfo> hosts, IReadOnlyList<HostMemoryStatus> memory, IReadOnlyCollection<string>? placed, long imageBytes)
    {
        var byMemory = memory.OrderByDescending(m => m.MemoryBytes - m.CopyBytes).ThenBy(m => m.Host, StringComparer.Ordinal).ToList();
        if (placed is null) return byMemory[0].Host;
        bool KeepsFastFreeGpu(HostMemoryStatus m) => FastFreeGpu(hosts, m.Host, placed) && m.MemoryBytes - m.CopyBytes >= imageBytes;
        string chosen = (byMemory.FirstOrDefault(m => KeepsFastFreeGpu(m) && GpusOn(placed, m.Host) == 0)
            ?? byMemory.FirstOrDefault(KeepsFastFreeGpu)
            ?? byMemory[0]).Host;
        return CopyKeeper.Next(chosen, HostsOf(placed), [], Rooms(hosts, memory, placed), imageBytes) is { } away ? away.To : chosen;
    }

    /// <summary>
    /// The hosts of <paramref name="memory"/> that are in <paramref name="hosts"/>, as places for a copy: memory left for copies,
    /// and whether a GPU not in <paramref name="gpusInUse"/> would load from a copy there faster than over the network.
    /// </summary>
    public static IReadOnlyList<CopyRoom> Rooms(IReadOnlyList<HostInfo> hosts, IReadOnlyList<HostMemoryStatus> memory, IReadOnlyCollection<string> gpusInUse) =>
        [.. memory.Where(m => hosts.Any(h => h.Host == m.Host))
            .Select(m => new CopyRoom(m.Host, m.MemoryBytes - m.CopyBytes, FastFreeGpu(hosts, m.Host, gpusInUse)))];

    /// <summary>The hosts of <paramref name="gpus"/> (GPU keys), each once.</summary>
    public static IReadOnlyCollection<string> HostsOf(IEnumerable<string> gpus) =>
        gpus.Select(g => GpuKey.TryParse(g, out var key) ? key.Host : null).OfType<string>().ToHashSet(StringComparer.Ordinal);

    // The host copies from memory into its GPUs faster than its NIC receives, and keeps a GPU outside gpusInUse.
    private static bool FastFreeGpu(IReadOnlyList<HostInfo> hosts, string name, IReadOnlyCollection<string> gpusInUse) =>
        hosts.FirstOrDefault(h => h.Host == name) is { } host
        && PlanningInputs.Spec(host).CopiesFasterThanNic
        && host.Gpus > GpusOn(gpusInUse, name);

    private static int GpusOn(IEnumerable<string> gpus, string host) => gpus.Count(g => GpuKey.TryParse(g, out var key) && key.Host == host);
}
