using BlitzScale.Grains.Interfaces.Keys;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>The GPUs bench live scales onto at the burst. Pure.</summary>
internal static class LiveTargets
{
    /// <summary>
    /// The first <paramref name="newInstances"/> of <paramref name="gpus"/> after <paramref name="gpus"/>[0] (the busy instance's);
    /// with <paramref name="overNetwork"/>, only GPUs on hosts other than the busy instance's and the host copy's, so that every
    /// new instance loads over the network (<c>--new-over-network</c>). A model with a copy on every other host (allcache's) keeps
    /// its copies' hosts: its loads are from host memory wherever they go.
    /// </summary>
    /// <param name="gpus">The testbed's GPU keys, the busy instance's first (<see cref="LiveBenchmark.Gpus"/>).</param>
    /// <param name="newInstances">How many to add.</param>
    /// <param name="copyBytes">Bytes of the model's host copies on each host, or null when not known.</param>
    /// <param name="overNetwork">Keep the new instances off the busy instance's host and the host copy's.</param>
    /// <exception cref="InvalidOperationException">Too few GPUs are left for <paramref name="newInstances"/>.</exception>
    public static IReadOnlyList<string> Choose(IReadOnlyList<string> gpus, int newInstances, IReadOnlyDictionary<string, long>? copyBytes, bool overNetwork)
    {
        ArgumentNullException.ThrowIfNull(gpus);
        if (!overNetwork) return [.. gpus.Skip(1).Take(newInstances)];
        string busyHost = HostOf(gpus[0]);
        var others = gpus.Skip(1).Select(HostOf).Where(h => h != busyHost).ToHashSet(StringComparer.Ordinal);
        var copyHosts = (copyBytes ?? new Dictionary<string, long>()).Where(c => c.Value > 0 && others.Contains(c.Key)).Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        // Copies on every other host (allcache): no host loads over the network, so none is left out for it.
        if (copyHosts.Count == others.Count) copyHosts.Clear();
        var chosen = gpus.Skip(1).Where(g => HostOf(g) != busyHost && !copyHosts.Contains(HostOf(g))).Take(newInstances).ToList();
        if (chosen.Count < newInstances)
        {
            throw new InvalidOperationException(
                $"--new-over-network: {newInstances} new instance(s) need GPUs off the busy instance's host ({busyHost}) and the host copy's " +
                $"({(copyHosts.Count == 0 ? "none" : string.Join(", ", copyHosts.Order(StringComparer.Ordinal)))}); only {chosen.Count} are left");
        }
        return chosen;
    }

    private static string HostOf(string gpu) => GpuKey.Parse(gpu).Host;
}
