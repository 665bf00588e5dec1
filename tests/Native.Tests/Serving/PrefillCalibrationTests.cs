using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Serving;
using BlitzScale.Native.Tensors;
using BlitzScale.Native.Tests.Engine;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Native.Tests.Serving;

/// <summary>
/// The prefill measured at an instance's start: on an engine whose prefills take a known time (fake time), the figure and
/// the prefills run are exact; on the cpu engine, what the calibration leaves in the KV blocks changes no later sequence.
/// </summary>
public sealed class PrefillCalibrationTests(SyntheticModelFixture models) : IClassFixture<SyntheticModelFixture>
{
    [Fact]
    public void The_cold_first_prefill_is_left_out_and_prefills_double_until_one_takes_long_enough_to_time()
    {
        var time = new FakeTimeProvider();
        // 1 ms a token, and the first prefill 400 ms more (cold): counted, it would read 16 ÷ 0.416 s.
        using var engine = new ClockedEngine(models.Config, time, perToken: TimeSpan.FromMilliseconds(1), cold: TimeSpan.FromMilliseconds(400));

        double rate = PrefillCalibration.Measure(engine, Blocks(64), maxTokens: 512, time);

        // 16 (cold), 16 ms, 32 ms, 64 ms ≥ 50 ms: timed there, twice.
        Assert.Equal([16, 16, 32, 64, 64], engine.Prefills);
        Assert.Equal(1000, rate, 9);
    }

    [Fact]
    public void The_prefills_stop_at_the_budget_the_blocks_or_the_model_positions_whichever_is_least()
    {
        var time = new FakeTimeProvider();
        using var engine = new ClockedEngine(models.Config, time, perToken: TimeSpan.FromMilliseconds(0.5), cold: TimeSpan.Zero);

        Assert.Equal(2000, PrefillCalibration.Measure(engine, Blocks(64), maxTokens: 40, time), 9);
        Assert.Equal([16, 16, 32, 40, 40], engine.Prefills);

        engine.Prefills.Clear();
        // 5 blocks of 4 positions hold 20.
        Assert.Equal(2000, PrefillCalibration.Measure(engine, Blocks(5), maxTokens: 512, time), 9);
        Assert.Equal([16, 16, 20, 20], engine.Prefills);

        engine.Prefills.Clear();
        // Too few positions for the first prefill: nothing runs, the rate is unknown.
        Assert.Equal(0, PrefillCalibration.Measure(engine, Blocks(3), maxTokens: 512, time));
        Assert.Empty(engine.Prefills);
        Assert.Throws<ArgumentOutOfRangeException>(() => PrefillCalibration.Measure(engine, Blocks(3), maxTokens: 0, time));
    }

    [Theory]
    // 1 ms a token; 64 tokens (the timed size) 100 ms more the first time: a path of their own, run cold.
    [InlineData(1.0, 64, 100.0, 0.0, 1000.0)]
    // 0.5 ms a token; the second prefill of 128 tokens 64 ms more (a busy machine): the first counts.
    [InlineData(0.5, 128, 0.0, 64.0, 2000.0)]
    public void The_timed_size_runs_twice_and_the_faster_of_the_two_counts(double perTokenMs, int timedSize, double firstExtraMs, double secondExtraMs, double expected)
    {
        var time = new FakeTimeProvider();
        using var engine = new ClockedEngine(models.Config, time, perToken: TimeSpan.FromMilliseconds(perTokenMs), cold: TimeSpan.Zero,
            firstAt: (timedSize, TimeSpan.FromMilliseconds(firstExtraMs)), secondAt: (timedSize, TimeSpan.FromMilliseconds(secondExtraMs)));

        double rate = PrefillCalibration.Measure(engine, Blocks(64), maxTokens: 512, time);

        // The cold 16, then 16, 32, … doubling to the timed size, and that size again.
        var doubling = Enumerable.Range(0, 8).Select(i => 16 << i).TakeWhile(n => n <= timedSize);
        Assert.Equal([16, .. doubling, timedSize], engine.Prefills);
        Assert.Equal(expected, rate, 9);
    }

    [Fact]
    public void An_engine_without_every_layer_is_not_measured()
    {
        using var image = models.PartialImage(DType.F32, [0, 1, 2]);
        using var engine = new CpuEngine(image, new KvStoreShape(64, 4));

        var error = Assert.Throws<InvalidOperationException>(() => PrefillCalibration.Measure(engine, Blocks(64), 512));
        Assert.Contains($"2 of {models.Config.NumLayers} layers are loaded", error.Message);
    }

    [Fact]
    public void On_the_cpu_engine_the_rate_is_positive_and_a_sequence_on_the_blocks_it_wrote_computes_bit_for_bit_as_on_a_fresh_engine()
    {
        var model = models.Model(DType.F32);
        var shape = new KvStoreShape(64, 4);
        using var calibrated = new CpuEngine(model.Image, shape);
        using var fresh = new CpuEngine(model.Image, shape);
        int layers = models.Config.NumLayers;

        double rate = PrefillCalibration.Measure(calibrated, Blocks(64), maxTokens: 128);
        Assert.True(rate > 0 && double.IsFinite(rate), $"rate {rate}");

        // A prompt and two decode steps on blocks the calibration wrote.
        int[] prompt = [1, 17, 300, 42, 99, 7];
        int[] blocks = [0, 1, 2];
        var prefill = Batch.Single(blocks, 0, prompt.Length, 0, layers);
        var outputs = new[] { calibrated, fresh }.Select(engine =>
        {
            var hidden = engine.Embed(prompt);
            engine.RunLayers(prefill, hidden);
            var logits = new List<float[]> { engine.Head(prefill, hidden) };
            for (int step = 0; step < 2; step++)
            {
                var decode = Batch.Single(blocks, prompt.Length + step, 1, 0, layers);
                var next = engine.Embed([5 + step]);
                engine.RunLayers(decode, next);
                logits.Add(engine.Head(decode, next));
            }
            return logits;
        }).ToArray();
        for (int i = 0; i < outputs[0].Count; i++) BitAssert.Equal(outputs[1][i], outputs[0][i], $"logits of step {i}");
    }

    private static int[] Blocks(int count) => [.. Enumerable.Range(0, count)];

    // Computes nothing; each prefill advances the fake clock by its tokens' time (and the first one by a cold cost; the first
    // or second of a size by an extra cost where given).
    private sealed class ClockedEngine(LlamaConfig config, FakeTimeProvider time, TimeSpan perToken, TimeSpan cold,
        (int Tokens, TimeSpan Extra)? firstAt = null, (int Tokens, TimeSpan Extra)? secondAt = null) : ILayerEngine
    {
        public List<int> Prefills { get; } = [];
        public LlamaConfig Config => config;
        public int LoadedLayers => config.NumLayers;
        public int LoadedSuffixFrom => 0;
        public KvStoreShape KvShape => new(64, 4);
        public HiddenStates Embed(ReadOnlySpan<int> tokens) => new(tokens.Length, config.HiddenSize);

        public void RunLayers(Batch batch, HiddenStates hidden)
        {
            Assert.All(batch.Segments, s => Assert.Equal((0, config.NumLayers), (s.FirstLayer, s.EndLayer)));
            int before = Prefills.Count(p => p == batch.TokenCount);
            var extra = (firstAt is { } f && f.Tokens == batch.TokenCount && before == 0 ? f.Extra : TimeSpan.Zero)
                + (secondAt is { } s && s.Tokens == batch.TokenCount && before == 1 ? s.Extra : TimeSpan.Zero);
            time.Advance(perToken * batch.TokenCount + (Prefills.Count == 0 ? cold : TimeSpan.Zero) + extra);
            Prefills.Add(batch.TokenCount);
        }

        public float[] Head(Batch batch, HiddenStates hidden) => new float[batch.Segments.Count * config.VocabSize];
        public void ReadKv(IReadOnlyList<int> blocks, KvSlice slice, Span<float> destination) => throw new NotSupportedException("calibration moves no KV");
        public void WriteKv(IReadOnlyList<int> blocks, KvSlice slice, ReadOnlySpan<float> source) => throw new NotSupportedException("calibration moves no KV");
        public void Dispose() { }
    }
}
