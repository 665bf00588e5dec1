namespace BlitzScale.Scaling.Routing;

/// <summary>
/// What one instance can run at once, for late binding (<see cref="RequestRouter.SetSeats"/>): its KV blocks, their size in
/// positions, its running-sequence limit, and the prompt tokens it may hold not yet started. Its batcher reserves a
/// request's blocks for the prompt and every token it may generate when it admits it, so a request's seat is the blocks its
/// estimate (prompt and max tokens) needs.
/// </summary>
/// <param name="KvBlocks">KV blocks of the instance (≥ 1).</param>
/// <param name="BlockSize">Positions per block (≥ 1).</param>
/// <param name="MaxRequests">Requests it runs at once (≥ 1).</param>
/// <param name="PrefillTokens">
/// Prompt tokens of routed requests whose first token has not come that the instance may hold (≥ 1; unbounded by default):
/// it takes another request only while its unstarted prompts are fewer, or are fewer than
/// <see cref="RequestRouter.UnstartedAlways"/> requests. A prefill-bound instance starts its requests one
/// step budget at a time, so requests bound beyond a step or two wait there, in whatever order their calls arrived, while
/// at the model they would go, in order, to whichever instance can start them first (<see cref="ForBudget"/>).
/// </param>
/// <param name="StepTokens">Tokens one step of the instance runs (its batcher's budget); 0 when not known.</param>
public readonly record struct InstanceSeats(int KvBlocks, int BlockSize, int MaxRequests, long PrefillTokens = long.MaxValue, int StepTokens = 0)
{
    /// <summary>
    /// Step budgets of unstarted prompt an instance holds (<see cref="ForBudget"/>): enough that it still has prompts to
    /// start while a first token reaches its caller, the caller tells the model, and the route that follows reaches the next
    /// caller and its call the instance. With 2, bench serve through the testbed (4 timed instances, 256 clients, 512-token
    /// prompts, D = 50) ran at 0.816 of the cost profile's throughput, against 0.984 without the bound; with 4, 0.986.
    /// </summary>
    public const int PrefillStepsAhead = 4;

    /// <summary>
    /// The seats of an instance with <paramref name="kvBlocks"/> blocks of <paramref name="blockSize"/> positions that runs at
    /// most <paramref name="maxRequests"/> at once with a step budget of <paramref name="maxBatchTokens"/> tokens: it holds
    /// <see cref="PrefillStepsAhead"/> budgets of unstarted prompt.
    /// </summary>
    public static InstanceSeats ForBudget(int kvBlocks, int blockSize, int maxRequests, int maxBatchTokens) =>
        new(kvBlocks, blockSize, maxRequests, (long)PrefillStepsAhead * maxBatchTokens, maxBatchTokens);

    /// <summary>
    /// Requests of <paramref name="tokens"/> each (prompt and generation) the instance runs at once: its running limit, or
    /// fewer where its KV blocks hold fewer.
    /// </summary>
    public long RequestsOf(long tokens) => Math.Min(MaxRequests, KvBlocks / BlocksFor(tokens));

    /// <summary>Whether the instance counts its requests' prompts until their first token (its prefill is bounded).</summary>
    public bool BoundsPrefill => PrefillTokens < long.MaxValue;

    /// <summary>Blocks a request estimated at <paramref name="tokens"/> (prompt and generation) reserves.</summary>
    public long BlocksFor(long tokens) => (Math.Max(tokens, 1) + BlockSize - 1) / BlockSize;

    /// <summary>Checks the ranges, naming the offending value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is below 1.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(KvBlocks, 1, nameof(KvBlocks));
        ArgumentOutOfRangeException.ThrowIfLessThan(BlockSize, 1, nameof(BlockSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequests, 1, nameof(MaxRequests));
        ArgumentOutOfRangeException.ThrowIfLessThan(PrefillTokens, 1, nameof(PrefillTokens));
        ArgumentOutOfRangeException.ThrowIfNegative(StepTokens, nameof(StepTokens));
    }
}
