using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Models;

namespace BlitzScale.Native.Cuda.Engine;

/// <summary>
/// cos and sin of every (position, frequency) the RoPE kernel uses, computed on the host exactly as the cpu backend's
/// <c>Rope</c> does (f32 angle <c>position × inv_freq[j]</c>, <c>MathF.Cos</c>/<c>MathF.Sin</c>, llama3 scaling in the
/// frequencies), so both backends rotate by bit-identical factors. Layout: (positions, head_dim/2, 2) f32.
/// </summary>
internal static class RopeTable
{
    /// <summary>The table for positions [0, <paramref name="positions"/>).</summary>
    public static float[] Compute(LlamaConfig config, int positions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(positions);
        float[] inverse = Rope.InverseFrequencies(config);
        int half = inverse.Length;
        var table = new float[(long)positions * half * 2];
        for (int p = 0; p < positions; p++)
        {
            for (int j = 0; j < half; j++)
            {
                float angle = p * inverse[j];
                table[(p * half + j) * 2] = MathF.Cos(angle);
                table[(p * half + j) * 2 + 1] = MathF.Sin(angle);
            }
        }
        return table;
    }

    /// <summary>Positions to build the table for when position <paramref name="maxPosition"/> is needed: doubling, capped at the model's context.</summary>
    public static int CapacityFor(int maxPosition, int current, int maxPositionEmbeddings)
    {
        if (maxPosition < current) return current;
        int capacity = Math.Max(256, current);
        while (capacity <= maxPosition) capacity *= 2;
        return Math.Max(maxPosition + 1, Math.Min(capacity, maxPositionEmbeddings));
    }
}
