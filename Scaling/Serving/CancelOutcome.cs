namespace BlitzScale.Scaling.Serving;

/// <summary>What <see cref="ContinuousBatcher.Cancel"/> did.</summary>
public enum CancelOutcome
{
    /// <summary>No waiting or running request has that id.</summary>
    NotFound,
    /// <summary>Finished as cancelled now; its blocks are free.</summary>
    Removed,
    /// <summary>
    /// It is in the plan being executed: the next <see cref="ContinuousBatcher.Complete"/> (or
    /// <see cref="ContinuousBatcher.Abort"/>) finishes it and frees its blocks.
    /// </summary>
    Deferred,
}
