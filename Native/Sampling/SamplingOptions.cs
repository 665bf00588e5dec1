namespace BlitzScale.Native.Sampling;

/// <summary>How the next token is chosen from logits.</summary>
/// <param name="Temperature">0 for greedy (argmax); otherwise logits are divided by it before softmax.</param>
/// <param name="TopP">Nucleus sampling: keep the smallest set of tokens whose probability reaches this (1 keeps all).</param>
/// <param name="TopK">Keep only the k most likely tokens (0 keeps all).</param>
/// <param name="Seed">Seed of the sampler's random generator; the same seed gives the same tokens.</param>
public sealed record SamplingOptions(float Temperature = 0f, float TopP = 1f, int TopK = 0, ulong Seed = 0)
{
    /// <summary>Greedy decoding.</summary>
    public static SamplingOptions Greedy { get; } = new();

    /// <summary>
    /// The options that continue a generation after <paramref name="sampledTokens"/> tokens were sampled with these: a
    /// <see cref="Sampler"/> draws one number per sampled token (none when greedy), so the seed moves on by as many draws and
    /// the rest of the tokens are those the whole generation would have sampled.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sampledTokens"/> is negative.</exception>
    public SamplingOptions After(int sampledTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sampledTokens);
        return Temperature == 0f || sampledTokens == 0 ? this : this with { Seed = SeededRandom.SeedAfter(Seed, sampledTokens) };
    }

    /// <summary>Checks the ranges, naming the offending option.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be a finite number ≥ 0 (0 is greedy)");
        if (!(TopP > 0 && TopP <= 1))
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top-p must be in (0, 1]");
        if (TopK < 0)
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "top-k must be ≥ 0 (0 keeps all tokens)");
    }
}
