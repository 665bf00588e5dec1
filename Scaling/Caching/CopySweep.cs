namespace BlitzScale.Scaling.Caching;

/// <summary>
/// Squares a one-copy model's (blitz, blitz-fast) host copy with what the hosts hold: the copy to use, and the copies of the
/// model to drop because they are not it. Pure: the caller reads the hosts' memory and carries it out.
/// </summary>
/// <remarks>
/// Why: a copy can outlive what the model grain knows of it. A move whose new copy was filling when the model grain's silo
/// died leaves that copy in the new host's memory (the record names the old host); an activation that died after adopting a
/// new copy and before dropping the old one leaves the old one. Each held the image's bytes of a host's memory for copies
/// until the model was undeployed. Also, the copy's host may no longer hold the copy (its silo came back with empty memory)
/// or hold a failed one, which feeds no load.
/// </remarks>
/// <param name="Copy">The host of the model's copy from now on; null when the hosts hold no usable one.</param>
/// <param name="Drop">The hosts whose copy of the model is to be dropped, by name.</param>
public sealed record CopySweep(string? Copy, IReadOnlyList<string> Drop)
{
    /// <summary>
    /// What to change, or null when the hosts hold exactly the model's copy (or nothing may change now). While a load is in
    /// flight nothing changes: it may read any copy, and a load that no GPU could feed makes and uses a copy of its own. Else
    /// the copy stays where the hosts hold it (filling or whole); where they do not (none, or a failed one), the first whole
    /// copy by host name becomes it, or none (the caller may make one). Every other copy of the model goes, but while none is
    /// the copy a filling one stays: it may be in the making for a load that no GPU can feed, which adopts it once made.
    /// </summary>
    /// <param name="copy">The host of the model's copy as the caller knows it; null when it knows none.</param>
    /// <param name="held">Every copy of the model the live hosts hold.</param>
    /// <param name="loadsInFlight">Whether an instance of the model is loading (Loading or LiveNew).</param>
    public static CopySweep? Next(string? copy, IReadOnlyCollection<HeldCopy> held, bool loadsInFlight)
    {
        ArgumentNullException.ThrowIfNull(held);
        if (loadsInFlight) return null;
        string? keep = copy is not null && held.Any(h => h.Host == copy && !h.Failed)
            ? copy
            : held.Where(h => h.Complete && !h.Failed).Select(h => h.Host).Order(StringComparer.Ordinal).FirstOrDefault();
        var drop = held.Where(h => h.Host != keep && (keep is not null || h.Failed)).Select(h => h.Host)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return keep == copy && drop.Count == 0 ? null : new CopySweep(keep, drop);
    }
}
