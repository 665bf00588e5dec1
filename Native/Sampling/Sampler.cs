namespace BlitzScale.Native.Sampling;

/// <summary>Chooses tokens from logits: greedy, or temperature with top-k and top-p, seeded.</summary>
public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private readonly SeededRandom _random;
    private (int Token, float Probability)[] _candidates = [];

    /// <summary>A sampler with its own random sequence.</summary>
    public Sampler(SamplingOptions options)
    {
        options.Validate();
        _options = options;
        _random = new SeededRandom(options.Seed);
    }

    /// <summary>The index of the largest logit; the lowest index wins ties.</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best]) best = i;
        }
        return best;
    }

    /// <summary>Picks the next token.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        if (_options.Temperature == 0f) return ArgMax(logits);

        // Softmax of logits / T, computed stably.
        if (_candidates.Length < logits.Length) _candidates = new (int, float)[logits.Length];
        var c = _candidates.AsSpan(0, logits.Length);
        float max = logits[ArgMax(logits)];
        float sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            float p = MathF.Exp((logits[i] - max) / _options.Temperature);
            c[i] = (i, p);
            sum += p;
        }
        for (int i = 0; i < c.Length; i++) c[i].Probability /= sum;

        int keep = c.Length;
        if (_options.TopK > 0 || _options.TopP < 1f)
        {
            // Most likely first; equal probabilities by token id, so the order is fully determined.
            c.Sort(static (a, b) => a.Probability != b.Probability ? b.Probability.CompareTo(a.Probability) : a.Token.CompareTo(b.Token));
            if (_options.TopK > 0) keep = Math.Min(keep, _options.TopK);
            if (_options.TopP < 1f)
            {
                float cumulative = 0;
                for (int i = 0; i < keep; i++)
                {
                    cumulative += c[i].Probability;
                    if (cumulative >= _options.TopP) { keep = i + 1; break; }
                }
            }
        }

        float mass = 0;
        for (int i = 0; i < keep; i++) mass += c[i].Probability;
        float r = _random.NextSingle() * mass;
        float acc = 0;
        for (int i = 0; i < keep; i++)
        {
            acc += c[i].Probability;
            if (r < acc) return c[i].Token;
        }
        return c[keep - 1].Token; // rounding left r at the very top
    }
}
