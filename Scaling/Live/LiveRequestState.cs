namespace BlitzScale.Scaling.Live;

/// <summary>Where a live-scaled request stands on LiveNew.</summary>
public enum LiveRequestState
{
    /// <summary>Waiting: either its next layer is loaded (it will advance) or it is blocked (LiveOld may pull it).</summary>
    Queued,
    /// <summary>An advance through newly loaded layers is planned or running on LiveNew.</summary>
    Advancing,
    /// <summary>Pulled by LiveOld: LiveNew runs [0, SplitLayer) and LiveOld runs the rest, every decode step.</summary>
    Split,
    /// <summary>It ran every layer on LiveNew before being pulled; it finishes on LiveNew alone.</summary>
    Local,
    /// <summary>Split, then the KV of [0, SplitLayer) for every position computed so far moved to LiveOld, which runs it whole from then on.</summary>
    Moved,
}
