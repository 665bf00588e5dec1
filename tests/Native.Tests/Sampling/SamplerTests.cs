using BlitzScale.Native.Sampling;

namespace BlitzScale.Native.Tests.Sampling;

/// <summary>Greedy, seeded temperature sampling, top-k and top-p, and option validation.</summary>
public sealed class SamplerTests
{
    private static readonly float[] Logits = Enumerable.Range(0, 50).Select(i => MathF.Sin(i * 1.7f) * 3).ToArray();
    private static readonly float[] ThreeWay = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.2f)];

    [Fact]
    public void Greedy_is_the_argmax_and_the_lowest_index_wins_ties()
    {
        float[] logits = [1f, 3f, -2f, 3f, 2.5f];
        Assert.Equal(1, Sampler.ArgMax(logits));
        Assert.Equal(1, new Sampler(SamplingOptions.Greedy).Sample(logits));
        Assert.Equal(0, Sampler.ArgMax([7f, 7f, 7f]));
        Assert.Equal(2, Sampler.ArgMax([float.NegativeInfinity, -1f, 0f]));
        Assert.Equal(Sampler.ArgMax(Logits), new Sampler(new SamplingOptions(Temperature: 0, Seed: 5)).Sample(Logits));
    }

    [Fact]
    public void The_same_seed_gives_the_same_samples_and_another_seed_others()
    {
        var a = Samples(new SamplingOptions(Temperature: 1, Seed: 42), Logits, 200);
        var b = Samples(new SamplingOptions(Temperature: 1, Seed: 42), Logits, 200);
        var c = Samples(new SamplingOptions(Temperature: 1, Seed: 43), Logits, 200);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.True(a.Distinct().Count() > 5, "temperature 1 over these logits should not collapse to a few tokens");
    }

    [Fact]
    public void A_sampler_made_after_k_tokens_continues_the_whole_sequence()
    {
        var options = new SamplingOptions(Temperature: 0.9f, TopP: 0.95f, TopK: 20, Seed: 7);
        var whole = Samples(options, Logits, 60);
        foreach (int k in new[] { 1, 17, 59 })
            Assert.Equal(whole.Skip(k), Samples(options.After(k), Logits, 60 - k));
        // Without the advance a resumed request would repeat the sequence's start instead.
        Assert.NotEqual(whole.Skip(17), Samples(options, Logits, 60 - 17));
        Assert.Same(SamplingOptions.Greedy, SamplingOptions.Greedy.After(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => options.After(-1));
    }

    [Fact]
    public void Top_k_1_and_a_tiny_top_p_always_give_the_argmax()
    {
        int argMax = Sampler.ArgMax(Logits);
        Assert.All(Samples(new SamplingOptions(Temperature: 1.5f, TopK: 1, Seed: 1), Logits, 200), t => Assert.Equal(argMax, t));
        Assert.All(Samples(new SamplingOptions(Temperature: 1.5f, TopP: 1e-6f, Seed: 2), Logits, 200), t => Assert.Equal(argMax, t));
    }

    [Fact]
    public void Temperature_1_samples_the_softmax_probabilities()
    {
        var counts = new int[3];
        foreach (int t in Samples(new SamplingOptions(Temperature: 1, Seed: 7), ThreeWay, 20000)) counts[t]++;
        double[] expected = [0.5, 0.3, 0.2];
        for (int i = 0; i < 3; i++)
            Assert.InRange(counts[i] / 20000.0, expected[i] - 0.02, expected[i] + 0.02);
    }

    [Fact]
    public void Top_k_2_never_returns_the_third_and_renormalises_the_other_two()
    {
        var counts = new int[3];
        foreach (int t in Samples(new SamplingOptions(Temperature: 1, TopK: 2, Seed: 8), ThreeWay, 20000)) counts[t]++;
        Assert.Equal(0, counts[2]);
        Assert.InRange(counts[0] / 20000.0, 0.625 - 0.02, 0.625 + 0.02); // 0.5 / (0.5 + 0.3)
    }

    [Fact]
    public void Top_p_keeps_the_smallest_set_reaching_it()
    {
        // 0.5 + 0.3 reaches 0.75: the third token is cut.
        var samples = Samples(new SamplingOptions(Temperature: 1, TopP: 0.75f, Seed: 9), ThreeWay, 2000);
        Assert.DoesNotContain(2, samples);
        Assert.Contains(1, samples);
    }

    [Theory]
    [InlineData(-1f, 1f, 0)]
    [InlineData(float.NaN, 1f, 0)]
    [InlineData(float.PositiveInfinity, 1f, 0)]
    [InlineData(1f, 0f, 0)]
    [InlineData(1f, 1.5f, 0)]
    [InlineData(1f, float.NaN, 0)]
    [InlineData(1f, 1f, -1)]
    public void Out_of_range_options_are_rejected(float temperature, float topP, int topK)
    {
        var options = new SamplingOptions(temperature, topP, topK);
        Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(options));
    }

    [Fact]
    public void The_error_names_the_offending_option()
    {
        Assert.Equal("TopP", Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplingOptions(TopP: 0))).ParamName);
        Assert.Equal("TopK", Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplingOptions(TopK: -1))).ParamName);
        Assert.Equal("Temperature", Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplingOptions(Temperature: -1))).ParamName);
    }

    private static int[] Samples(SamplingOptions options, float[] logits, int count)
    {
        var sampler = new Sampler(options);
        return Enumerable.Range(0, count).Select(_ => sampler.Sample(logits)).ToArray();
    }
}
