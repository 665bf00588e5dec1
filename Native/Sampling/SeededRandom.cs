namespace BlitzScale.Native.Sampling;

/// <summary>SplitMix64: a tiny generator whose sequence is fixed by its seed on every platform and runtime.</summary>
internal sealed class SeededRandom(ulong seed)
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;
    private ulong _state = seed;

    /// <summary>
    /// The seed whose sequence is this seed's after <paramref name="draws"/> 64-bit draws: SplitMix64's state only adds a
    /// constant per draw, so a sequence can be continued elsewhere from a count instead of a copied state.
    /// </summary>
    public static ulong SeedAfter(ulong seed, long draws)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(draws);
        return unchecked(seed + (ulong)draws * Gamma);
    }

    public ulong NextUInt64()
    {
        ulong z = _state += Gamma;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 24 bits, as an f32 sampler needs.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Standard normal (Box–Muller).</summary>
    public float NextGaussian()
    {
        double u1 = ((NextUInt64() >> 11) + 1.0) * (1.0 / (1UL << 53));
        double u2 = (NextUInt64() >> 11) * (1.0 / (1UL << 53));
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
