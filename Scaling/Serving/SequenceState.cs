namespace BlitzScale.Scaling.Serving;

/// <summary>Where a <see cref="ServingSequence"/> is in its life.</summary>
public enum SequenceState
{
    /// <summary>Not (yet) accepted by a batcher.</summary>
    Created,
    /// <summary>Queued; owns no KV blocks.</summary>
    Waiting,
    /// <summary>Admitted: owns the KV blocks for its prompt and all its tokens; prefilling or decoding.</summary>
    Running,
    /// <summary>Ended with a <see cref="ServingFinishReason"/>; its blocks are free.</summary>
    Finished,
    /// <summary>A step that included it could not be executed; its blocks are free.</summary>
    Failed,
}
