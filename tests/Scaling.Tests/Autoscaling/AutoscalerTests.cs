using BlitzScale.Scaling.Autoscaling;
using BlitzScale.Scaling.Instances;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Scaling.Tests.Autoscaling;

/// <summary>
/// The autoscaler's rules on fake time. Capacity is set up as 1000 prompt tokens per second (one tick of 1000 tokens
/// prefilled in 1 s of step time) and a 1 s prefill window, so one instance's prefill capacity is 1000 queued tokens;
/// each instance has 100 KV blocks.
/// </summary>
public sealed class AutoscalerTests
{
    private const int Kv = 100;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);
    private readonly FakeTimeProvider _time = new();
    private readonly DateTimeOffset _longAgo;

    public AutoscalerTests() => _longAgo = _time.GetUtcNow() - TimeSpan.FromMinutes(1);

    [Fact]
    public void Prefill_load_over_its_threshold_adds_at_once_as_many_instances_as_the_load_needs()
    {
        var scaler = Calibrated(2);

        var decision = scaler.Decide([Serving(0, queued: 2000), Serving(1, queued: 1500)], 0);

        // 3500 tokens over 2 × 1000 = 1.75 > 0.7; 3500 / 700 = 5 instances.
        Assert.Equal(ScalingAction.Up, decision.Action);
        Assert.Equal((2, 5), (decision.From, decision.To));
        Assert.Equal(1.75, decision.Signals.PrefillLoad, 9);
        Assert.Contains("prefill load 1.75 over 0.7", decision.Reason);
    }

    [Fact]
    public void Decode_load_over_its_threshold_adds_instances_for_the_KV_blocks_in_use()
    {
        var scaler = new Autoscaler(new AutoscalerOptions(), _time);

        var decision = scaler.Decide([Serving(0, kvUsed: 97), Serving(1, kvUsed: 99)], 0);

        // 196 of 200 blocks = 0.98 > 0.95; 196 / 95 → 3 instances.
        Assert.Equal(ScalingAction.Up, decision.Action);
        Assert.Equal((2, 3), (decision.From, decision.To));
        Assert.Contains("decode load 0.98 over 0.95", decision.Reason);
    }

    [Fact]
    public void Requests_held_for_a_seat_count_with_the_blocks_in_use()
    {
        var scaler = new Autoscaler(new AutoscalerOptions(), _time);

        // Late binding: each instance is at 90 of its 100 blocks, under the threshold, and 250 blocks' worth of requests wait at the model.
        var without = scaler.Decide([Serving(0, kvUsed: 90), Serving(1, kvUsed: 90)], 0);
        var with = scaler.Decide([Serving(0, kvUsed: 90), Serving(1, kvUsed: 90)], 20, heldKvBlocks: 250);

        Assert.Equal(ScalingAction.None, without.Action);
        // (180 + 250) / 200 = 2.15 > 0.95; 430 / 95 → 5 instances.
        Assert.Equal(ScalingAction.Up, with.Action);
        Assert.Equal((2, 5), (with.From, with.To));
        Assert.Contains("decode load 2.15 over 0.95", with.Reason);
    }

    [Fact]
    public void Prompts_held_at_the_model_count_with_the_queued_prefill_tokens()
    {
        var scaler = Calibrated(2);

        // Each instance has 300 tokens queued (0.3 of its 1000), and 2000 prompt tokens of requests wait at the model,
        // held by the instances' bound on unstarted prompts.
        var without = scaler.Decide([Serving(0, queued: 300), Serving(1, queued: 300)], 0);
        var with = scaler.Decide([Serving(0, queued: 300), Serving(1, queued: 300)], 4, heldKvBlocks: 0, heldPromptTokens: 2000);

        Assert.Equal(ScalingAction.None, without.Action);
        // (600 + 2000) / 2000 = 1.3 > 0.7; 2600 / 700 → 4 instances.
        Assert.Equal(ScalingAction.Up, with.Action);
        Assert.Equal((2, 4), (with.From, with.To));
        Assert.Equal(2600, with.Signals.QueuedPrefillTokens);
        Assert.Contains("prefill load 1.30 over 0.7", with.Reason);
        Assert.Throws<ArgumentOutOfRangeException>(() => scaler.Decide([Serving(0)], 0, 0, heldPromptTokens: -1));
    }

    [Fact]
    public void Instances_already_loading_count_as_capacity()
    {
        var scaler = Calibrated(2);

        // 3500 tokens on 2 serving + 3 loading: 3500 / 5000 = 0.7, not over.
        var none = scaler.Decide([Serving(0, queued: 2000), Serving(1, queued: 1500), Loading(2), Loading(3), Loading(4)], 0);
        Assert.Equal(ScalingAction.None, none.Action);

        // 4000 tokens: 0.8 over 0.7, 4000 / 700 → 6: one more, not three.
        _time.Advance(Tick);
        var up = scaler.Decide([Serving(0, queued: 2500), Serving(1, queued: 1500), Loading(2), Loading(3), Loading(4)], 0);
        Assert.Equal((ScalingAction.Up, 5, 6), (up.Action, up.From, up.To));
        Assert.Contains("counting 3 loading", up.Reason);
    }

    [Fact]
    public void A_burst_does_not_cascade_while_its_loads_are_in_flight()
    {
        var scaler = Calibrated(2);
        var first = scaler.Decide([Serving(0, queued: 1400), Serving(1, queued: 1400)], 0);
        Assert.Equal((2, 4), (first.From, first.To));

        // The same load on every tick while the two new instances load: nothing more is asked for.
        for (int tick = 0; tick < 20; tick++)
        {
            _time.Advance(Tick);
            var next = scaler.Decide([Serving(0, queued: 1400), Serving(1, queued: 1400), Loading(2), Loading(3)], 0);
            Assert.Equal(ScalingAction.None, next.Action);
        }
    }

    [Fact]
    public void An_instance_is_drained_after_the_load_stayed_low_for_the_scale_down_delay_and_not_a_tick_before()
    {
        var scaler = new Autoscaler(new AutoscalerOptions(), _time);
        InstanceSignals[] three = [Serving(0), Serving(1), Serving(2)];

        Assert.Equal(ScalingAction.None, scaler.Decide(three, 0).Action);
        _time.Advance(TimeSpan.FromMilliseconds(332));
        Assert.Equal(ScalingAction.None, scaler.Decide(three, 0).Action);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var down = scaler.Decide(three, 0);

        Assert.Equal((ScalingAction.Down, 3, 2, 2), (down.Action, down.From, down.To, down.Drain));
    }

    [Fact]
    public void Load_between_the_thresholds_restarts_the_scale_down_delay()
    {
        var scaler = new Autoscaler(new AutoscalerOptions(), _time);
        InstanceSignals[] idle = [Serving(0), Serving(1), Serving(2)];
        scaler.Decide(idle, 0);
        _time.Advance(TimeSpan.FromMilliseconds(300));
        // 0.8 of the KV blocks: between 0.75 and 0.95.
        Assert.Equal(ScalingAction.None, scaler.Decide([Serving(0, kvUsed: 80), Serving(1, kvUsed: 80), Serving(2, kvUsed: 80)], 0).Action);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(ScalingAction.None, scaler.Decide(idle, 0).Action);
        _time.Advance(TimeSpan.FromMilliseconds(333));
        Assert.Equal(ScalingAction.Down, scaler.Decide(idle, 0).Action);
    }

    [Fact]
    public void Instances_are_drained_one_at_a_time_each_after_its_own_delay()
    {
        var scaler = new Autoscaler(new AutoscalerOptions(), _time);
        scaler.Decide([Serving(0), Serving(1), Serving(2)], 0);
        _time.Advance(AutoscalerOptions.DefaultScaleDownDelay);
        Assert.Equal(2, scaler.Decide([Serving(0), Serving(1), Serving(2)], 0).Drain);

        // Instance 2 drains; the next one waits a whole delay again.
        InstanceSignals[] left = [Serving(0), Serving(1), new(2, InstanceState.Draining, _time.GetUtcNow())];
        _time.Advance(Tick);
        Assert.Equal(ScalingAction.None, scaler.Decide(left, 0).Action);
        _time.Advance(AutoscalerOptions.DefaultScaleDownDelay - Tick);
        var second = scaler.Decide(left, 0);
        Assert.Equal((ScalingAction.Down, 2, 1, 1), (second.Action, second.From, second.To, second.Drain));
    }

    [Fact]
    public void Nothing_is_drained_while_a_load_is_in_flight_or_when_one_fewer_would_be_over_a_threshold()
    {
        var scaler = Calibrated(2);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ScalingAction.None, scaler.Decide([Serving(0), Serving(1), Loading(2)], 0).Action);

        // 900 tokens on 2 instances is 0.45, under 0.5; on one it would be 0.9, over 0.7.
        _time.Advance(TimeSpan.FromSeconds(1));
        scaler.Decide([Serving(0, queued: 450), Serving(1, queued: 450)], 0);
        _time.Advance(TimeSpan.FromSeconds(1));
        var keep = scaler.Decide([Serving(0, queued: 450), Serving(1, queued: 450)], 0);
        Assert.Equal(ScalingAction.None, keep.Action);
        Assert.Contains("one fewer", keep.Reason);
    }

    [Fact]
    public void The_minimum_is_kept_and_restored()
    {
        var scaler = new Autoscaler(new AutoscalerOptions { MinInstances = 2 }, _time);
        Assert.Equal(ScalingAction.None, scaler.Decide([Serving(0), Serving(1)], 0).Action);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(ScalingAction.None, scaler.Decide([Serving(0), Serving(1)], 0).Action);

        var restore = scaler.Decide([Serving(0)], 0);
        Assert.Equal((ScalingAction.Up, 1, 2), (restore.Action, restore.From, restore.To));
    }

    [Fact]
    public void The_maximum_caps_a_scale_up_and_stops_further_ones()
    {
        var scaler = Calibrated(2, new AutoscalerOptions { MaxInstances = 3 });
        var capped = scaler.Decide([Serving(0, queued: 2000), Serving(1, queued: 1500)], 0);
        Assert.Equal((ScalingAction.Up, 2, 3), (capped.Action, capped.From, capped.To));

        _time.Advance(Tick);
        var atMax = scaler.Decide([Serving(0, queued: 2000), Serving(1, queued: 1500), Loading(2)], 0);
        Assert.Equal(ScalingAction.None, atMax.Action);
        Assert.Contains("at the maximum of 3", atMax.Reason);
    }

    [Fact]
    public void Samples_of_an_instance_in_its_warm_up_are_left_out_of_the_capacity()
    {
        var scaler = new Autoscaler(new AutoscalerOptions(), _time);
        var young = _time.GetUtcNow();
        scaler.Decide([Serving(0, prefilled: 0, seconds: 0), Serving(1, prefilled: 0, seconds: 0, since: young)], 0);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        // The old instance prefilled 1000 tokens in 1 s; the new one, cold, 100 in 1 s.
        var decision = scaler.Decide([Serving(0, prefilled: 1000, seconds: 1), Serving(1, prefilled: 100, seconds: 1, since: young)], 0);
        Assert.Equal(1000, decision.Signals.PrefillTokensPerSecond, 9);

        // Past its warm-up its samples count: 1000 + 1000 tokens in 1 + 1 s.
        _time.Advance(TimeSpan.FromMilliseconds(500));
        var later = scaler.Decide([Serving(0, prefilled: 2000, seconds: 2), Serving(1, prefilled: 1100, seconds: 2, since: young)], 0);
        Assert.Equal((1000 * 0.95 + 2000) / (1 * 0.95 + 2), later.Signals.PrefillTokensPerSecond, 9);
    }

    [Fact]
    public void Without_a_measured_capacity_or_a_rating_the_prefill_load_reads_zero()
    {
        var scaler = new Autoscaler(new AutoscalerOptions(), _time);
        var young = _time.GetUtcNow();
        scaler.Decide([Serving(0, prefilled: 0, seconds: 0, since: young)], 0);
        _time.Advance(Tick);
        var decision = scaler.Decide([Serving(0, queued: 100_000, prefilled: 10, seconds: 1, since: young)], 0);

        Assert.Equal(0, decision.Signals.PrefillLoad);
        Assert.Equal(ScalingAction.None, decision.Action);
    }

    [Fact]
    public void Before_it_is_measured_the_capacity_is_the_instances_rating_at_start_so_a_burst_at_the_start_scales_up()
    {
        var scaler = new Autoscaler(new AutoscalerOptions(), _time);
        var young = _time.GetUtcNow();

        // Just serving, nothing prefilled past warm-up yet, rated 1000 and 3000 tokens/s at start: 2000 each.
        var first = scaler.Decide([Rated(0, 1000, young, queued: 7000), Rated(1, 3000, young, queued: 0)], 0);

        // 7000 queued over 2 × 2000 = 1.75 > 0.7; 7000 / 1400 = 5 instances.
        Assert.Equal(2000, first.Signals.PrefillTokensPerSecond, 9);
        Assert.True(first.Signals.PrefillCapacityRated);
        Assert.Equal(1.75, first.Signals.PrefillLoad, 9);
        Assert.Equal((ScalingAction.Up, 2, 5), (first.Action, first.From, first.To));
        Assert.Contains("capacity 2000 tokens/s rated", first.Signals.ToString());
    }

    [Fact]
    public void A_measured_capacity_replaces_the_rating_and_ratings_of_silent_or_inactive_instances_are_not_read()
    {
        var scaler = new Autoscaler(new AutoscalerOptions(), _time);
        var young = _time.GetUtcNow();
        // A silent instance's and a Warm one's ratings are not read: only instance 0's is.
        var rated = scaler.Decide([Rated(0, 1000, young), new(1, InstanceState.Serving, young, Answered: false, RatedPrefillTokensPerSecond: 9000),
            new(2, InstanceState.Warm, young, RatedPrefillTokensPerSecond: 9000)], 0);
        Assert.Equal(1000, rated.Signals.PrefillTokensPerSecond, 9);

        // Past its warm-up it prefills 500 tokens in 1 s of step time: measured, 500, whatever it was rated.
        _time.Advance(new AutoscalerOptions().WarmUp);
        scaler.Decide([Rated(0, 1000, young)], 0);
        _time.Advance(Tick);
        var measured = scaler.Decide([Rated(0, 1000, young, prefilled: 500, seconds: 1)], 0);
        Assert.Equal(500, measured.Signals.PrefillTokensPerSecond, 9);
        Assert.False(measured.Signals.PrefillCapacityRated);
        Assert.DoesNotContain("rated", measured.Signals.ToString());
    }

    [Fact]
    public void With_minimum_zero_the_last_instance_drains_after_the_idle_timeout_and_a_held_request_brings_one_back()
    {
        var options = new AutoscalerOptions { MinInstances = 0, IdleTimeout = TimeSpan.FromSeconds(5) };
        var scaler = new Autoscaler(options, _time);
        // Busy, then idle: the idle timeout runs from the first idle tick.
        scaler.Decide([Serving(0, kvUsed: 10)], 0);
        _time.Advance(Tick);
        scaler.Decide([Serving(0)], 0);
        _time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(1));
        Assert.Equal(ScalingAction.None, scaler.Decide([Serving(0)], 0).Action);
        _time.Advance(TimeSpan.FromTicks(1));
        var zero = scaler.Decide([Serving(0)], 0);
        Assert.Equal((ScalingAction.Down, 1, 0, 0), (zero.Action, zero.From, zero.To, zero.Drain));

        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(ScalingAction.None, scaler.Decide([new(0, InstanceState.Warm, _time.GetUtcNow())], 0).Action);
        var revive = scaler.Decide([new(0, InstanceState.Warm, _time.GetUtcNow())], heldRequests: 1);
        Assert.Equal((ScalingAction.Up, 0, 1), (revive.Action, revive.From, revive.To));
        Assert.Contains("1 request(s) held with no instance", revive.Reason);
    }

    [Fact]
    public void With_minimum_one_the_last_instance_is_never_drained()
    {
        var scaler = new Autoscaler(new AutoscalerOptions(), _time);
        scaler.Decide([Serving(0)], 0);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(ScalingAction.None, scaler.Decide([Serving(0)], 0).Action);
    }

    [Fact]
    public void The_same_signals_on_the_same_clock_give_the_same_decisions()
    {
        static IReadOnlyList<string> Run()
        {
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
            var scaler = new Autoscaler(new AutoscalerOptions(), time);
            var since = time.GetUtcNow() - TimeSpan.FromMinutes(1);
            var random = new Random(12);
            var log = new List<string>();
            for (int tick = 0; tick < 200; tick++)
            {
                int n = 1 + random.Next(4);
                var instances = Enumerable.Range(0, n).Select(i => new InstanceSignals(i, InstanceState.Serving, since,
                    QueuedPrefillTokens: random.Next(2000), KvBlocksUsed: random.Next(Kv), KvBlocksTotal: Kv,
                    PrefilledTokens: tick * 500L, PrefillSeconds: tick * 0.5)).ToList();
                log.Add(scaler.Decide(instances, random.Next(2)).ToString());
                time.Advance(Tick);
            }
            return log;
        }

        var first = Run();
        Assert.Equal(first, Run());
        Assert.Contains(first, d => d.StartsWith("up", StringComparison.Ordinal));
    }

    [Fact]
    public void A_Warm_instance_gives_its_GPU_back_once_kept_for_the_warm_keep_and_not_a_tick_before()
    {
        var scaler = new Autoscaler(new AutoscalerOptions { WarmKeep = TimeSpan.FromSeconds(10) }, _time);
        var warmSince = _time.GetUtcNow();
        InstanceSignals[] instances =
        [
            Serving(0),
            new(2, InstanceState.Warm, warmSince + TimeSpan.FromSeconds(1)),
            new(1, InstanceState.Warm, warmSince),
            new(3, InstanceState.Draining, warmSince - TimeSpan.FromMinutes(5)),
        ];

        _time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.Empty(scaler.ExpiredWarm(instances));
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal([1], scaler.ExpiredWarm(instances));
        _time.Advance(TimeSpan.FromSeconds(1));
        // Oldest first; a Draining or Serving instance is never released, however old.
        Assert.Equal([1, 2], scaler.ExpiredWarm(instances));
    }

    [Fact]
    public void A_Warm_instance_that_a_load_fetches_from_is_kept_past_the_warm_keep_until_the_load_no_longer_does()
    {
        var scaler = new Autoscaler(new AutoscalerOptions { WarmKeep = TimeSpan.FromSeconds(10) }, _time);
        var warmSince = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromMinutes(1));
        InstanceSignals feeding = new(1, InstanceState.Warm, warmSince, FeedsLoad: true);
        InstanceSignals idle = new(2, InstanceState.Warm, warmSince);
        Assert.Equal([2], scaler.ExpiredWarm([Serving(0), feeding, idle, new(3, InstanceState.Loading, _time.GetUtcNow())]));
        // The load done (or fed from elsewhere), the instance is released at the next tick.
        Assert.Equal([1, 2], scaler.ExpiredWarm([Serving(0), feeding with { FeedsLoad = false }, idle]));
    }

    [Fact]
    public void A_warm_keep_of_zero_releases_a_Warm_instance_at_once_and_a_negative_one_is_refused()
    {
        var scaler = new Autoscaler(new AutoscalerOptions { WarmKeep = TimeSpan.Zero }, _time);
        Assert.Equal([4], scaler.ExpiredWarm([new(4, InstanceState.Warm, _time.GetUtcNow())]));
        var error = Assert.Throws<ArgumentException>(() => new AutoscalerOptions { WarmKeep = TimeSpan.FromMilliseconds(-1) }.Validate());
        Assert.Contains("WarmKeep", error.Message);
    }

    [Fact]
    public void An_instance_whose_shard_did_not_answer_counts_against_the_maximum()
    {
        var scaler = Calibrated(2, new AutoscalerOptions { MaxInstances = 3 });
        var unanswered = new InstanceSignals(2, InstanceState.Loading, _time.GetUtcNow(), Answered: false);

        // Over the prefill threshold: with the silent instance counted the model is at its maximum; without it, one more would load.
        var counted = scaler.Decide([Serving(0, queued: 2000), Serving(1, queued: 1500), unanswered], 0);
        var without = scaler.Decide([Serving(0, queued: 2000), Serving(1, queued: 1500)], 0);

        Assert.Equal((ScalingAction.None, 3), (counted.Action, counted.From));
        Assert.Contains("at the maximum of 3", counted.Reason);
        Assert.Equal((ScalingAction.Up, 2, 3), (without.Action, without.From, without.To));
    }

    [Fact]
    public void The_newest_serving_instance_that_answered_drains_not_a_silent_newer_one()
    {
        var scaler = new Autoscaler(new AutoscalerOptions(), _time);
        InstanceSignals[] three = [Serving(0), Serving(1), new(2, InstanceState.Serving, _longAgo, Answered: false)];

        scaler.Decide(three, 0);
        _time.Advance(AutoscalerOptions.DefaultScaleDownDelay);
        var down = scaler.Decide(three, 0);

        Assert.Equal((ScalingAction.Down, 3, 1), (down.Action, down.From, down.Drain));
    }

    [Fact]
    public void A_tick_an_instance_did_not_answer_leaves_the_prefill_capacity_and_its_baseline_as_they_were()
    {
        var scaler = Calibrated(1);

        // Instance 0 goes silent for a tick (no figures), then answers with 1000 more tokens in 2 s: 500 tokens/s from its
        // baseline of 1000 tokens in 1 s, not 2000 tokens in 3 s read from a baseline of nothing.
        var silent = scaler.Decide([new(0, InstanceState.Serving, _longAgo, Answered: false)], 0);
        _time.Advance(Tick);
        var back = scaler.Decide([Serving(0, prefilled: 2000, seconds: 3)], 0);

        Assert.Equal(1000, silent.Signals.PrefillTokensPerSecond, 9);
        // The fading sum: (1000 × 0.95² + 1000) tokens over (1 × 0.95² + 2) s.
        Assert.Equal((1000 * 0.95 * 0.95 + 1000) / (0.95 * 0.95 + 2), back.Signals.PrefillTokensPerSecond, 9);
    }

    // An autoscaler that has measured 1000 prompt tokens per second on `instances` serving instances (counters 0 → 1000 tokens, 0 → 1 s each).
    private Autoscaler Calibrated(int instances, AutoscalerOptions? options = null)
    {
        var scaler = new Autoscaler(options ?? new AutoscalerOptions(), _time);
        scaler.Decide([.. Enumerable.Range(0, instances).Select(i => Serving(i, prefilled: 0, seconds: 0))], 0);
        _time.Advance(Tick);
        var calibrated = scaler.Decide([.. Enumerable.Range(0, instances).Select(i => Serving(i, prefilled: 1000, seconds: 1))], 0);
        Assert.Equal(1000, calibrated.Signals.PrefillTokensPerSecond, 9);
        _time.Advance(Tick);
        return scaler;
    }

    // Counters stay at the calibrated 1000 tokens in 1 s unless given, so later ticks add no samples.
    private InstanceSignals Serving(int index, long queued = 0, int kvUsed = 0, long prefilled = 1000, double seconds = 1, DateTimeOffset? since = null) =>
        new(index, InstanceState.Serving, since ?? _longAgo, queued, 0, kvUsed, Kv, prefilled, seconds);

    private static InstanceSignals Rated(int index, double rating, DateTimeOffset since, long queued = 0, long prefilled = 0, double seconds = 0) =>
        new(index, InstanceState.Serving, since, queued, 0, 0, Kv, prefilled, seconds, RatedPrefillTokensPerSecond: rating);

    private InstanceSignals Loading(int index) => new(index, InstanceState.Loading, _time.GetUtcNow());
}
