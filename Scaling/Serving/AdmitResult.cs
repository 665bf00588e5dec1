namespace BlitzScale.Scaling.Serving;

/// <summary>What <see cref="ContinuousBatcher.TryEnqueue"/> did with a request.</summary>
public enum AdmitStatus
{
    /// <summary>Queued; it will run when blocks and budget allow.</summary>
    Queued,
    /// <summary>Its prompt and tokens need more KV blocks than the whole instance has.</summary>
    ExceedsKvCache,
    /// <summary>Its prompt and tokens exceed the model's context.</summary>
    ExceedsContext,
    /// <summary>A request with the same id is waiting or running.</summary>
    DuplicateId,
}

/// <summary>The answer of <see cref="ContinuousBatcher.TryEnqueue"/>: queued, or why the request can never run here.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Message">Why it was refused, with the numbers; null when queued.</param>
public readonly record struct AdmitResult(AdmitStatus Status, string? Message)
{
    /// <summary>Whether the request was queued.</summary>
    public bool Accepted => Status == AdmitStatus.Queued;

    internal static AdmitResult Queued => new(AdmitStatus.Queued, null);
}
