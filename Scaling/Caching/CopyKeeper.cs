namespace BlitzScale.Scaling.Caching;

/// <summary>
/// Keeps a model's one host copy (blitz, blitz-fast) where a single host's death cannot take the whole model: not on the host
/// of every GPU that holds it, and not missing while GPUs hold it. Pure: the caller reads the hosts and carries out the move.
/// </summary>
/// <remarks>
/// Why: a scale-up takes the copy's host's GPU first (it loads from memory there), so after the only instance's host dies the
/// instance restored in its place often lands beside the copy, and the next death on that host took both: the load after it
/// read the model from storage (bench chaos at 66d3cac, 2.04 × the load without the fault). A copy whose host died was made
/// again only by a load that no GPU could feed, that is after the last GPU holding the model was gone as well.
/// </remarks>
public static class CopyKeeper
{
    /// <summary>
    /// The move that would keep the model on two hosts, or null when none is needed or possible.
    /// With a copy on a live host: a move only when every holder, and every GPU still loading the model, is on that host, to
    /// another host with room for the image. Without one (its host left the cluster): a new copy while some GPU holds the
    /// model, on a host with room, off the hosts of the GPUs that hold or load it where one has room. Among the hosts that
    /// qualify: off those hosts first, then one whose free GPU loads from memory faster than the network, then the most
    /// memory left, then by name.
    /// </summary>
    /// <param name="copy">The host of the model's copy; null when it has none.</param>
    /// <param name="holders">The hosts of the model's GPUs that hold its whole image (serving, draining or warm).</param>
    /// <param name="loading">The hosts of the model's GPUs still loading it: once loaded they hold it too, so a deployment of
    /// instances on two hosts does not move its copy while only the one beside it has finished loading.</param>
    /// <param name="live">The cluster's live hosts.</param>
    /// <param name="imageBytes">The model image's size.</param>
    public static CopyMove? Next(string? copy, IReadOnlyCollection<string> holders, IReadOnlyCollection<string> loading, IReadOnlyList<CopyRoom> live,
        long imageBytes)
    {
        ArgumentNullException.ThrowIfNull(holders);
        ArgumentNullException.ThrowIfNull(loading);
        ArgumentNullException.ThrowIfNull(live);
        // Nothing but the copy holds the model (or nothing does): a second place would read storage for no gain in safety.
        if (holders.Count == 0) return null;
        var occupied = holders.Concat(loading).ToHashSet(StringComparer.Ordinal);
        if (copy is not null && live.Any(r => r.Host == copy))
        {
            if (occupied.Any(h => h != copy)) return null;
            return Best(live.Where(r => r.Host != copy), occupied, imageBytes) is { } to ? new CopyMove(copy, to) : null;
        }
        return Best(live, occupied, imageBytes) is { } at ? new CopyMove(null, at) : null;
    }

    private static string? Best(IEnumerable<CopyRoom> candidates, HashSet<string> occupied, long imageBytes) =>
        candidates.Where(r => r.FreeBytes >= imageBytes)
            .OrderBy(r => occupied.Contains(r.Host))
            .ThenByDescending(r => r.FastFreeGpu)
            .ThenByDescending(r => r.FreeBytes)
            .ThenBy(r => r.Host, StringComparer.Ordinal)
            .FirstOrDefault()?.Host;
}
