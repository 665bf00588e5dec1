namespace BlitzScale.Scaling.Live;

/// <summary>
/// Where a LiveNew beside a LiveTail hands its requests over (loads in complementary orders): the split nearest half the
/// layers that the tail's landed layers allow, and never below the layers its requests may already have run.
/// </summary>
public static class ComplementarySplit
{
    /// <summary>
    /// The layer a LiveNew runs its requests to at most beside a LiveTail holding the last <paramref name="tailLayers"/> of
    /// <paramref name="layers"/>: half the layers, or the tail's first layer where it holds fewer than half. The two halves
    /// then do about equal work, where the pair's pace is the slower half's.
    /// </summary>
    public static int Cap(int layers, int tailLayers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(tailLayers);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tailLayers, layers);
        return Math.Max(layers / 2, layers - tailLayers);
    }

    /// <summary>
    /// The cap a LiveNew that switches from a busy partner to a LiveTail keeps: <paramref name="cap"/>, but no lower than
    /// <paramref name="usableNow"/>, the layers its requests may already run (its scheduler sees landed layers only grow, and a
    /// request already past the cap is handed over where it is, which the tail can run since it covers the model).
    /// </summary>
    public static int AtSwitch(int cap, int usableNow) => Math.Max(cap, usableNow);
}
