using System.Diagnostics;
using BlitzScale.Native.Compute.Timed;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models.Image;
using BlitzScale.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Native.Tests.Compute.Timed;

/// <summary>
/// The timed engine: the time it charges for prefill, decode, mixed and mixed-range batches (on a fake clock that the
/// wait advances), the pseudo-tokens' properties, and the layers it refuses.
/// </summary>
public sealed class TimedEngineTests : IDisposable
{
    private const int BlockSize = 16;
    private static readonly KvStoreShape Kv = new(Blocks: 32, BlockSize);
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new();
    private readonly List<TimeSpan> _waits = [];
    private readonly List<ParameterImage> _images = [];
    private readonly CostProfile _profile;

    public TimedEngineTests() =>
        _profile = CostProfile.Load(ProfileFiles.Write(_dir, ProfileFiles.DeviceRow, ProfileFiles.Tiny), "tiny");

    public void Dispose()
    {
        foreach (var image in _images) image.Dispose();
        _dir.Dispose();
    }

    /// <summary>An engine on the fake clock whose wait records the span and advances the clock by it.</summary>
    private TimedEngine Engine(double dilation = 1, int layers = TimedModel.Layers, bool head = true)
    {
        var image = TimedModel.Image(layers, head);
        _images.Add(image);
        return new TimedEngine(image, Kv, _profile, dilation, _clock, span =>
        {
            _waits.Add(span);
            _clock.Advance(span);
        });
    }

    /// <summary>A segment of <paramref name="count"/> tokens from <paramref name="start"/> of sequence <paramref name="sequence"/> (its own blocks).</summary>
    private static BatchSegment Segment(int sequence, int start, int count, int first = 0, int end = TimedModel.Layers) =>
        new([sequence * 4, sequence * 4 + 1, sequence * 4 + 2, sequence * 4 + 3], start, count, first, end);

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    private TimeSpan Run(TimedEngine engine, params BatchSegment[] segments)
    {
        var batch = new Batch(segments);
        var hidden = engine.Embed(Enumerable.Repeat(5, batch.TokenCount).ToArray());
        var before = _clock.GetUtcNow();
        engine.RunLayers(batch, hidden);
        return _clock.GetUtcNow() - before;
    }

    [Fact]
    public void A_prefill_is_charged_the_profiles_time_for_its_tokens_times_its_layers_times_the_dilation()
    {
        var engine = Engine(dilation: 2.5);
        // prefill(10) = 2.0 ms a layer, 4 layers, D = 2.5.
        Assert.Equal(Ms(2.0 * 4 * 2.5), Run(engine, Segment(0, 0, 10)));
        Assert.Equal([Ms(20)], _waits);
        Assert.Equal(Ms(20), engine.BusyTime);
        Assert.Equal(1, engine.Steps);
    }

    [Fact]
    public void A_decode_step_is_charged_by_its_number_of_sequences()
    {
        var engine = Engine();
        // decode(4) = 1.5 ms a layer, decode(6) = 2.5 ms a layer.
        Assert.Equal(Ms(1.5 * 4), Run(engine, Segment(0, 20, 1), Segment(1, 3, 1), Segment(2, 9, 1), Segment(3, 0, 1)));
        Assert.Equal(Ms(2.5 * 4), Run(engine, [.. Enumerable.Range(0, 6).Select(s => Segment(s, 7, 1))]));
        Assert.Equal(Ms(6 + 10), engine.BusyTime);
        Assert.Equal(2, engine.Steps);
    }

    [Fact]
    public void A_mixed_step_is_charged_a_prefill_of_all_its_tokens()
    {
        var engine = Engine();
        // 5 prefill tokens and 5 decodes: prefill(10) = 2.0 ms a layer.
        var segments = new[] { Segment(0, 0, 5) }.Concat(Enumerable.Range(1, 5).Select(s => Segment(s, 30, 1))).ToArray();
        Assert.Equal(Ms(2.0 * 4), Run(engine, segments));
    }

    [Fact]
    public void Each_layer_is_charged_once_for_every_segment_that_runs_it()
    {
        var engine = Engine();
        var segments = new[]
        {
            Segment(0, 0, 10, 0, 4),  // [0,4)
            Segment(1, 12, 1, 0, 2),  // [0,2)
            Segment(2, 40, 1, 2, 4),  // [2,4): joins segment 0 at layer 2
            Segment(3, 5, 1, 0, 2),   // [0,2)
            Segment(4, 0, 3, 3, 3),   // no layers: nothing
        };
        // Layers [0,2) run segments 0, 1, 3: a mixed step of 12 tokens, prefill(12) = 2.2 ms a layer.
        // Layers [2,4) run segments 0, 2: 11 tokens, prefill(11) = 2.1 ms a layer. Never a layer twice.
        var expected = Ms(2.2 * 2 + 2.1 * 2);
        Assert.Equal(expected, engine.Charge(new Batch(segments)));
        Assert.Equal(expected, Run(engine, segments));
        Assert.Equal(expected, Assert.Single(_waits));
    }

    [Fact]
    public void A_pulled_requests_tail_costs_its_old_instance_only_the_tokens_it_adds_at_each_layer()
    {
        var engine = Engine();
        // LiveOld's own four decodes run [0,4); two pulled requests' decodes run [2,4). By layer: decode(4) on [0,2),
        // decode(6) on [2,4) — not decode(4) on [0,4) plus a second pass of decode(2) over [2,4).
        var own = Enumerable.Range(0, 4).Select(s => Segment(s, 20, 1, 0, 4));
        var pulled = Enumerable.Range(4, 2).Select(s => Segment(s, 20, 1, 2, 4));
        Assert.Equal(Ms(1.5 * 2 + 2.5 * 2), Run(engine, [.. own, .. pulled]));
    }

    [Fact]
    public void A_batch_that_runs_no_layer_takes_no_time()
    {
        var engine = Engine();
        Assert.Equal(TimeSpan.Zero, Run(engine, Segment(0, 0, 4, 2, 2)));
        Assert.Empty(_waits);
        Assert.Equal(0, engine.Steps);
    }

    [Fact]
    public void The_wait_is_only_what_is_left_of_the_step_when_its_bookkeeping_is_done()
    {
        // The wait gets the span to the deadline measured on the clock, from the call's start.
        var engine = Engine();
        var batch = Batch.Single([0], 0, 10, 0, 4);
        var hidden = engine.Embed(new int[10]);
        var late = new TimedEngine(TimedModel.Image(), Kv, _profile, 1, new SteppingClock(_clock, Ms(3)), span => _waits.Add(span));
        late.RunLayers(batch, hidden);
        Assert.Equal([Ms(8 - 3)], _waits);
        Assert.Equal(Ms(8), late.BusyTime);
    }

    [Fact]
    public void On_the_real_clock_a_step_blocks_until_its_time_has_passed()
    {
        using var image = TimedModel.Image();
        using var engine = new TimedEngine(image, Kv, _profile, dilation: 5);
        var batch = Batch.Single([0], 0, 10, 0, 4);
        var hidden = engine.Embed(new int[10]);
        long start = Stopwatch.GetTimestamp();
        engine.RunLayers(batch, hidden);
        Assert.True(Stopwatch.GetElapsedTime(start) >= Ms(2.0 * 4 * 5), $"returned after {Stopwatch.GetElapsedTime(start)}");
    }

    [Fact]
    public void Running_the_layers_split_over_two_engines_gives_the_same_tokens_as_on_one()
    {
        int[] prompt = [4, 9, 13, 2, 30, 11];
        var whole = Engine();
        var front = Engine(layers: 2, head: false);
        var back = Engine();
        for (int k = 0; k <= TimedModel.Layers; k++)
        {
            var full = Batch.Single([0], 0, prompt.Length, 0, TimedModel.Layers);
            var one = whole.Embed(prompt);
            whole.RunLayers(full, one);

            var split = k <= 2 ? front : whole; // the front engine holds layers [0, 2) only
            var two = split.Embed(prompt);
            split.RunLayers(full.WithLayers(0, k), two);
            var shipped = HiddenStates.FromBytes(two.ToBytes());
            back.RunLayers(full.WithLayers(k, TimedModel.Layers), shipped);

            Assert.Equal(whole.Head(full, one), back.Head(full, shipped));
        }
    }

    [Fact]
    public void A_sequences_tokens_do_not_depend_on_what_it_is_batched_with()
    {
        var engine = Engine();
        int[] tokens = [3, 8, 21, 5];
        var alone = Batch.Single([0], 10, tokens.Length, 0, TimedModel.Layers);
        var aloneHidden = engine.Embed(tokens);
        engine.RunLayers(alone, aloneHidden);
        int expected = Greedy(engine.Head(alone, aloneHidden), 0);

        var batched = new Batch([Segment(1, 0, 7), new BatchSegment([0], 10, tokens.Length, 0, TimedModel.Layers), Segment(2, 33, 1, 0, 2)]);
        var hidden = engine.Embed([.. Enumerable.Range(10, 7), .. tokens, 17]);
        engine.RunLayers(batched, hidden);
        Assert.Equal(expected, Greedy(engine.Head(batched, hidden), 1));
    }

    [Fact]
    public void Tokens_are_deterministic_and_depend_on_the_input_token_and_the_position()
    {
        var a = Engine();
        var b = Engine();
        var byPosition = Enumerable.Range(0, 20).Select(p => Decode(a, 9, p)).ToArray();
        Assert.Equal(byPosition, Enumerable.Range(0, 20).Select(p => Decode(b, 9, p)));
        Assert.True(byPosition.Distinct().Count() > 10, string.Join(", ", byPosition));
        var byToken = Enumerable.Range(3, 20).Select(t => Decode(a, t, 5)).ToArray();
        Assert.True(byToken.Distinct().Count() > 10, string.Join(", ", byToken));
    }

    [Fact]
    public void The_head_gives_one_hot_logits_of_an_ordinary_token_never_bos_or_eos()
    {
        var engine = Engine();
        var seen = new HashSet<int>();
        int[] blocks = [.. Enumerable.Range(0, Kv.Blocks)];
        for (int position = 0; position < 400; position++)
        {
            var batch = Batch.Single(blocks, position, 1, 0, TimedModel.Layers);
            var hidden = engine.Embed([position % TimedModel.Vocab]);
            engine.RunLayers(batch, hidden);
            var logits = engine.Head(batch, hidden);
            Assert.Equal(TimedModel.Vocab, logits.Length);
            Assert.Equal(TimedModel.Vocab - 1, logits.Count(v => v == 0));
            seen.Add(Greedy(logits, 0));
        }
        Assert.DoesNotContain(0, seen);
        Assert.DoesNotContain(1, seen); // BOS
        Assert.DoesNotContain(2, seen);
        Assert.DoesNotContain(7, seen); // EOS
        // Every other token turns up.
        Assert.Equal([0, 1, 2, 7], Enumerable.Range(0, TimedModel.Vocab).Except(seen));
    }

    [Fact]
    public void Layers_beyond_the_loaded_prefix_are_refused()
    {
        var engine = Engine(layers: 2);
        Assert.Equal(2, engine.LoadedLayers);
        var hidden = engine.Embed([5, 6]);
        var error = Assert.Throws<ArgumentException>(() => engine.RunLayers(Batch.Single([0], 0, 2, 0, 3), hidden));
        Assert.Contains("only layers [0, 2) of 4 are loaded", error.Message);
        Assert.Empty(_waits);
        engine.RunLayers(Batch.Single([0], 0, 2, 0, 2), hidden);
        Assert.Equal([Ms(2 * (1.0 + (2.0 - 1.0) / 9))], _waits); // prefill(2) over 2 layers
    }

    [Fact]
    public void The_head_and_the_embedding_need_their_parameters()
    {
        var engine = Engine(head: false);
        var batch = Batch.Single([0], 0, 1, 0, TimedModel.Layers);
        var hidden = engine.Embed([5]);
        engine.RunLayers(batch, hidden);
        Assert.Throws<InvalidOperationException>(() => engine.Head(batch, hidden));
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.Embed([TimedModel.Vocab]));
    }

    [Fact]
    public void It_describes_itself_as_emulated_with_its_profile_and_dilation()
    {
        var engine = Engine(dilation: 5.158);
        Assert.Equal($"timed (emulated): profile tiny from {_profile.Path}, dilation 5.158", engine.Describe());
    }

    private int Decode(TimedEngine engine, int token, int position)
    {
        var batch = Batch.Single([0, 1], position, 1, 0, TimedModel.Layers);
        var hidden = engine.Embed([token]);
        engine.RunLayers(batch, hidden);
        return Greedy(engine.Head(batch, hidden), 0);
    }

    private static int Greedy(float[] logits, int segment) =>
        Array.IndexOf(logits, 1f, segment * TimedModel.Vocab, TimedModel.Vocab) - segment * TimedModel.Vocab;

    /// <summary>A clock that moves on by <paramref name="step"/> each time it is read after the first, like bookkeeping that takes time.</summary>
    private sealed class SteppingClock(FakeTimeProvider clock, TimeSpan step) : TimeProvider
    {
        private bool _started;

        public override long TimestampFrequency => clock.TimestampFrequency;

        public override long GetTimestamp()
        {
            if (_started) clock.Advance(step);
            _started = true;
            return clock.GetTimestamp();
        }
    }
}
