
namespace BlitzScale.Scaling.Serving;

/// <summary>How one instance batches: the token budget of a step, how many sequences may run, and its KV cache.</summary>
public sealed record BatchPolicy
{
    /// <summary>Default <see cref="MaxBatchTokens"/>.</summary>
    public const int DefaultMaxBatchTokens = 512;
    /// <summary>Default <see cref="MaxRunningSequences"/>.</summary>
    public const int DefaultMaxRunningSequences = 64;
    /// <summary>Default <see cref="BlockSize"/>.</summary>
    // Must equal Native's Generator.DefaultBlockSize (local generation and the grid block alike); Scaling cannot
    // reference Native, so a test where both are visible pins them equal.
    public const int DefaultBlockSize = 16;
    /// <summary>Default <see cref="KvBlocks"/>.</summary>
    public const int DefaultKvBlocks = 1024;

    /// <summary>
    /// The batching a grid shard runs with for a step budget of <paramref name="maxBatchTokens"/> tokens (the default when
    /// null): every running sequence decodes each step, so the budget also caps the running count. The one place where a
    /// deployment's budget becomes a policy: the shard, the model grain's seats and the benches' capacity models use it.
    /// </summary>
    public static BatchPolicy ForBudget(int? maxBatchTokens)
    {
        int budget = maxBatchTokens ?? DefaultMaxBatchTokens;
        return new BatchPolicy { MaxBatchTokens = budget, MaxRunningSequences = Math.Min(DefaultMaxRunningSequences, budget) };
    }

    /// <summary>Tokens one step may run, decode tokens and prefill chunks together.</summary>
    public int MaxBatchTokens { get; init; } = DefaultMaxBatchTokens;

    /// <summary>Sequences admitted at once (prefilling or decoding); at most <see cref="MaxBatchTokens"/>, so every decode fits a step.</summary>
    public int MaxRunningSequences { get; init; } = DefaultMaxRunningSequences;

    /// <summary>Positions per KV block.</summary>
    public int BlockSize { get; init; } = DefaultBlockSize;

    /// <summary>KV blocks of the whole instance.</summary>
    public int KvBlocks { get; init; } = DefaultKvBlocks;

    /// <summary>Checks the ranges, naming the offending option.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        if (MaxBatchTokens < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxBatchTokens), MaxBatchTokens, "the token budget of a step must be ≥ 1");
        if (MaxRunningSequences < 1 || MaxRunningSequences > MaxBatchTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRunningSequences), MaxRunningSequences,
                $"running sequences must be in [1, {nameof(MaxBatchTokens)} = {MaxBatchTokens}], so that every running sequence decodes each step");
        }
        if (BlockSize < 1)
            throw new ArgumentOutOfRangeException(nameof(BlockSize), BlockSize, "positions per KV block must be ≥ 1");
        if (KvBlocks < 1)
            throw new ArgumentOutOfRangeException(nameof(KvBlocks), KvBlocks, "the instance needs at least 1 KV block");
    }
}
