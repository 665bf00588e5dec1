namespace BlitzScale.Scaling.Live;

/// <summary>
/// A request served by a live-scaling pair, as the <see cref="ZigZagScheduler"/> tracks it. Its state changes only
/// through the scheduler, so callers read it and never corrupt it.
/// </summary>
public sealed class LiveRequest
{
    internal LiveRequest(string id, long order, int promptTokens)
    {
        Id = id;
        Order = order;
        PromptTokens = promptTokens;
    }

    /// <summary>The request's id.</summary>
    public string Id { get; }

    /// <summary>Its arrival order (first come, first served); unique within a scheduler.</summary>
    public long Order { get; }

    /// <summary>Its prompt tokens.</summary>
    public int PromptTokens { get; }

    /// <summary>Where it stands.</summary>
    public LiveRequestState State { get; internal set; }

    /// <summary>The layers LiveNew has run its prompt through, [0, Progress); never decreases.</summary>
    public int Progress { get; internal set; }

    /// <summary>Once split, the layer where LiveOld takes over (the progress when pulled); never changes once set.</summary>
    public int? SplitLayer { get; internal set; }

    // The end of the advance in flight; meaningful only while Advancing.
    internal int PlannedEnd { get; set; }

    /// <inheritdoc/>
    public override string ToString() => $"{Id} #{Order} {State} progress {Progress}" + (SplitLayer is { } j ? $" split at {j}" : "");
}
