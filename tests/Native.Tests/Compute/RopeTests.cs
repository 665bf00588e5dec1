using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Models;
using BlitzScale.Native.Sampling;

namespace BlitzScale.Native.Tests.Compute;

/// <summary>RoPE inverse frequencies (plain and Llama 3 scaled) and the rotation itself.</summary>
public sealed class RopeTests
{
    [Fact]
    public void Plain_inverse_frequencies_are_theta_to_the_minus_2j_over_head_dim()
    {
        var inv = Rope.InverseFrequencies(Config(theta: 10000, headDim: 8));
        Assert.Equal(4, inv.Length);
        for (int j = 0; j < inv.Length; j++)
        {
            double expected = Math.Pow(10000, -2.0 * j / 8);
            Assert.True(Math.Abs(inv[j] - expected) <= 1e-6 * expected, $"inv[{j}] = {inv[j]:R}, expected {expected:R}");
        }
        Assert.Equal(1f, inv[0]);
        Assert.Equal(0.001, inv[3], 1e-9);
    }

    [Fact]
    public void Llama3_scaling_keeps_high_frequencies_slows_low_ones_and_smooths_the_band_between()
    {
        var scaling = new RopeScaling(Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 8192);
        var plain = Rope.InverseFrequencies(Config(theta: 500000, headDim: 128));
        var scaled = Rope.InverseFrequencies(Config(theta: 500000, headDim: 128) with { RopeScaling = scaling });
        Assert.Equal(64, scaled.Length);

        Assert.Equal(plain[0], scaled[0]); // wavelength 2π: high frequency, unchanged
        Assert.Equal(plain[63] / 8, scaled[63]); // wavelength ≫ 8192: low frequency, divided by the factor

        // j = 31: wavelength 2π·500000^(62/128) ≈ 3660, inside (8192/4, 8192/1).
        const int j = 31;
        double freq = Math.Pow(500000, -2.0 * j / 128);
        double wavelen = 2 * Math.PI / freq;
        Assert.InRange(wavelen, 8192 / 4.0, 8192 / 1.0);
        double smooth = (8192 / wavelen - 1) / (4 - 1);
        double expected = (1 - smooth) * freq / 8 + smooth * freq;
        Assert.True(Math.Abs(scaled[j] - expected) <= 1e-5 * expected, $"inv[{j}] = {scaled[j]:R}, expected {expected:R}");
        Assert.True(scaled[j] < plain[j] && scaled[j] > plain[j] / 8);

        for (int i = 0; i < 64; i++)
            Assert.InRange(scaled[i], plain[i] / 8, plain[i]);
    }

    [Fact]
    public void Position_zero_is_the_identity()
    {
        var rope = new Rope(Config(theta: 10000, headDim: 16));
        var vector = Random(3 * 16, seed: 1);
        var original = vector.ToArray();
        rope.Apply(vector, heads: 3, position: 0);
        Assert.Equal(original, vector);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(1000)]
    public void Rotation_preserves_the_norm_of_every_pair_and_treats_every_head_alike(int position)
    {
        const int headDim = 16, half = headDim / 2, heads = 3;
        var rope = new Rope(Config(theta: 10000, headDim: headDim));
        var head = Random(headDim, seed: (ulong)position);
        var vector = Enumerable.Repeat(head, heads).SelectMany(h => h).ToArray();
        rope.Apply(vector, heads, position);

        Assert.NotEqual(head, vector.AsSpan(0, headDim).ToArray());
        for (int i = 0; i < half; i++)
        {
            double before = head[i] * (double)head[i] + head[i + half] * (double)head[i + half];
            double after = vector[i] * (double)vector[i] + vector[i + half] * (double)vector[i + half];
            Assert.True(Math.Abs(after - before) <= 1e-5 * before, $"pair ({i}, {i + half}): |x|² {before:R} became {after:R}");
        }
        for (int h = 1; h < heads; h++)
            BitAssert.Equal(vector.AsSpan(0, headDim), vector.AsSpan(h * headDim, headDim), $"head {h}");
    }

    private static float[] Random(int count, ulong seed)
    {
        var random = new SeededRandom(seed);
        return Enumerable.Range(0, count).Select(_ => random.NextSingle() * 2 - 1).ToArray();
    }

    private static LlamaConfig Config(double theta, int headDim) => new()
    {
        Architecture = "LlamaForCausalLM",
        HiddenSize = headDim * 4,
        IntermediateSize = 8,
        NumLayers = 1,
        NumHeads = 4,
        NumKvHeads = 4,
        HeadDim = headDim,
        VocabSize = 8,
        MaxPositionEmbeddings = 16,
        RmsNormEps = 1e-5,
        RopeTheta = theta,
        TieWordEmbeddings = true,
        AttentionBias = false,
    };
}
