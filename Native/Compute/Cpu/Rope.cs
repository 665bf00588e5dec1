using System.Runtime.CompilerServices;
using BlitzScale.Native.Models;

namespace BlitzScale.Native.Compute.Cpu;

/// <summary>
/// Rotary position embedding in the Hugging Face rotate-half convention: within each head, element i is
/// rotated with element i + head_dim/2 by the angle <c>position × inv_freq[i]</c>.
/// </summary>
internal sealed class Rope
{
    private readonly float[] _invFreq;

    public Rope(LlamaConfig config)
    {
        _invFreq = InverseFrequencies(config);
        HeadDim = config.HeadDim;
    }

    public int HeadDim { get; }

    /// <summary>Rotates <paramref name="heads"/> consecutive heads of one token at <paramref name="position"/>, in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(Span<float> vector, int heads, int position)
    {
        int half = HeadDim / 2;
        for (int j = 0; j < half; j++)
        {
            // f32 throughout, as both the reference C implementation and Hugging Face compute it.
            float angle = position * _invFreq[j];
            float cos = MathF.Cos(angle), sin = MathF.Sin(angle);
            for (int h = 0; h < heads; h++)
            {
                int b = h * HeadDim;
                float x1 = vector[b + j], x2 = vector[b + j + half];
                vector[b + j] = x1 * cos - x2 * sin;
                vector[b + j + half] = x2 * cos + x1 * sin;
            }
        }
    }

    internal static float[] InverseFrequencies(LlamaConfig config)
    {
        int half = config.HeadDim / 2;
        var inv = new float[half];
        for (int j = 0; j < half; j++)
            inv[j] = 1.0f / MathF.Pow((float)config.RopeTheta, 2 * j / (float)config.HeadDim);
        if (config.RopeScaling is { } s)
            ApplyLlama3Scaling(inv, s);
        return inv;
    }

    // Llama 3.1: long wavelengths are slowed by `factor`, short ones kept, the band between interpolated.
    private static void ApplyLlama3Scaling(float[] inv, RopeScaling s)
    {
        double lowWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
        double highWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        for (int j = 0; j < inv.Length; j++)
        {
            double freq = inv[j];
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen)
                continue;
            if (wavelen > lowWavelen)
            {
                inv[j] = (float)(freq / s.Factor);
                continue;
            }
            double smooth = (s.OriginalMaxPositionEmbeddings / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
            inv[j] = (float)((1 - smooth) * freq / s.Factor + smooth * freq);
        }
    }
}
