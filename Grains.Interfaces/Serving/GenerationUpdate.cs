namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// One element of a streaming generation. The first carries the prompt ids, the instance serving it and whether that
/// instance's GPU is emulated; each further one a generated token and its text; the last one <see cref="Finish"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("blitz.GenerationUpdate")]
public sealed record GenerationUpdate
{
    /// <summary>The prompt as run (first update only).</summary>
    [Id(0)] public int[]? PromptIds { get; init; }
    /// <summary>The generated token, or -1 when this update carries none.</summary>
    [Id(1)] public int TokenId { get; init; } = -1;
    /// <summary>Position of the token among the generated ones.</summary>
    [Id(2)] public int Index { get; init; }
    /// <summary>The text the token adds (may be empty mid-character).</summary>
    [Id(3)] public string Text { get; init; } = "";
    /// <summary>Milliseconds since the instance accepted the request.</summary>
    [Id(4)] public double ElapsedMs { get; init; }
    /// <summary>Why the generation ended ("eos", "length", "cancelled"), on the last update only.</summary>
    [Id(5)] public string? Finish { get; init; }
    /// <summary>The shard serving the request (first update only).</summary>
    [Id(6)] public string? Instance { get; init; }
    /// <summary>
    /// Whether the instance runs on an emulated GPU (the timed backend), so its tokens are pseudo-tokens and its times come
    /// from a cost profile (first update only).
    /// </summary>
    [Id(7)] public bool Emulated { get; init; }
    /// <summary>
    /// On the first token of a request that a busy instance handed over to its live-scaling partner (a new instance still
    /// loading), the partner's shard: it computes the request from there on while the stream stays with the first instance.
    /// Null otherwise.
    /// </summary>
    [Id(8)] public string? HandedTo { get; init; }
    /// <summary>
    /// How many times the request had moved to another instance when this update was delivered (<see cref="GridGeneration"/>
    /// sets it on every update after a resume; 0 from the instance itself).
    /// </summary>
    [Id(9)] public int Resumes { get; init; }
    /// <summary>
    /// On the first update delivered after a resume, why the request moved: the instance it left and what was seen of its loss.
    /// Null otherwise.
    /// </summary>
    [Id(10)] public string? ResumedBecause { get; init; }
}
