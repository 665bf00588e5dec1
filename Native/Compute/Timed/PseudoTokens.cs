namespace BlitzScale.Native.Compute.Timed;

/// <summary>
/// The timed backend's stand-in for a forward pass: deterministic tokens carried in two floats of each hidden row.
/// <code>
/// row[0]: the token id (written by Embed, never changed)
/// row[1]: a 24-bit hash, folded with (row[0], position, layer) by every layer, exact in a float
/// </code>
/// A layer touches only its own row, so a token depends on neither its batch nor where the layers were split.
/// </summary>
internal static class PseudoTokens
{
    /// <summary>Tokens below this are special (pad, BOS, EOS) and never produced.</summary>
    public const int FirstToken = 3;

    private const uint Mask24 = (1u << 24) - 1;

    /// <summary>Row[1] after layer <paramref name="layer"/> has run on the token at <paramref name="position"/>.</summary>
    public static float Fold(float state, float token, int position, int layer)
    {
        uint h = (uint)state;
        h ^= (uint)token * 0x9E3779B1u;
        h = Mix(h + (uint)position * 0x85EBCA77u);
        h = Mix(h ^ ((uint)layer * 0xC2B2AE3Du));
        return h & Mask24; // below 2^24: exact in a float's 24-bit significand
    }

    /// <summary>
    /// The token row[1] stands for: one of [<see cref="FirstToken"/>, <paramref name="vocab"/>) other than the
    /// <paramref name="excluded"/> ids (the model's BOS and EOS, ascending), so a pseudo-sequence never ends by itself.
    /// </summary>
    public static int Token(float state, int vocab, ReadOnlySpan<int> excluded)
    {
        int token = FirstToken + (int)((uint)state % (uint)(vocab - FirstToken - excluded.Length));
        foreach (int id in excluded)
        {
            if (token >= id) token++;
        }
        return token;
    }

    /// <summary>The model's BOS and EOS ids that lie in [<see cref="FirstToken"/>, <paramref name="vocab"/>), ascending and distinct.</summary>
    public static int[] Specials(int? bos, int? eos, int vocab) =>
        [.. new[] { bos, eos }.OfType<int>().Where(id => id >= FirstToken && id < vocab).Distinct().Order()];

    // The murmur3 finalizer: every input bit moves about half the output bits.
    private static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        return h ^ (h >> 16);
    }
}
