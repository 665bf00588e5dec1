using BlitzScale.Scaling.Instances;
using Microsoft.Extensions.Time.Testing;
using static BlitzScale.Scaling.Instances.InstanceState;

namespace BlitzScale.Scaling.Tests.Instances;

/// <summary>Each transition of the instance state machine, allowed and refused, on fake time.</summary>
public sealed class InstanceTransitionTests
{
    private const int Layers = 4;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly ModelInstances _model;

    public InstanceTransitionTests() => _model = new ModelInstances(_time);

    private InstanceLifecycle Add(int index) => _model.Add(index, $"m/{index}/0", $"h0/gpu{index}", "h0", Layers);

    private InstanceLifecycle NewServing(int index)
    {
        var instance = Add(index);
        Assert.True(_model.StartLoading(index).Applied);
        Assert.True(_model.LayersLanded(index, Layers).Applied);
        Assert.True(_model.FinishLoading(index).Applied);
        return instance;
    }

    private InstanceLifecycle NewLoading(int index, int layers)
    {
        var instance = Add(index);
        Assert.True(_model.StartLoading(index).Applied);
        Assert.True(_model.LayersLanded(index, layers).Applied);
        return instance;
    }

    [Fact]
    public void A_new_instance_is_inactive_with_no_layers_since_it_was_added()
    {
        var instance = Add(0);

        Assert.Equal(Inactive, instance.State);
        Assert.Equal(0, instance.LoadedLayers);
        Assert.Equal(_time.GetUtcNow(), instance.Since);
        Assert.False(instance.TakesRequests);
    }

    [Fact]
    public void Loading_then_every_layer_then_serving_records_when_each_state_began()
    {
        var instance = Add(0);
        _time.Advance(TimeSpan.FromSeconds(1));
        var start = _model.StartLoading(0);
        var loadingSince = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromSeconds(2));
        _model.LayersLanded(0, Layers);

        Assert.Equal(new TransitionResult(0, Inactive, Loading), start);
        Assert.Equal(loadingSince, instance.Since); // a layer landing is not a state change
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(new TransitionResult(0, Loading, InstanceState.Serving), _model.FinishLoading(0));
        Assert.Equal(_time.GetUtcNow(), instance.Since);
        Assert.True(instance.TakesRequests);
        Assert.True(instance.IsLoadSource);
    }

    [Fact]
    public void A_partial_load_does_not_finish_and_says_how_far_it_got()
    {
        var instance = NewLoading(0, 3);

        var result = _model.FinishLoading(0);

        Assert.False(result.Applied);
        Assert.Equal((Loading, InstanceState.Serving), (result.From, result.To));
        Assert.Equal("3 of 4 layers have landed", result.Refusal);
        Assert.Equal(Loading, instance.State);
    }

    [Fact]
    public void Landed_layers_only_grow_and_never_pass_the_total()
    {
        var instance = NewLoading(0, 3);

        Assert.True(_model.LayersLanded(0, 1).Applied); // a stale event
        Assert.Equal(3, instance.LoadedLayers);
        var tooMany = _model.LayersLanded(0, Layers + 1);
        Assert.False(tooMany.Applied);
        Assert.Contains("expected 0 to 4", tooMany.Refusal, StringComparison.Ordinal);
        Assert.Equal(3, instance.LoadedLayers);
    }

    [Fact]
    public void An_instance_that_failed_after_every_layer_landed_is_never_a_load_source()
    {
        // Instance 0 holds every layer, then fails (its tokenizer, say): a new instance must not fetch from it.
        NewLoading(0, Layers);
        NewServing(1);
        Assert.Equal([0, 1], _model.All.Where(i => i.HoldsEveryLayer).Select(i => i.Index));

        Assert.True(_model.Fail(0, "tokenizer.model: the file is empty").Applied);

        Assert.Equal([1], _model.LoadSources.Select(i => i.Index));
        Assert.True(_model.Fail(1, "GPU lost").Applied);
        Assert.Empty(_model.LoadSources);
    }

    [Fact]
    public void Layers_cannot_land_on_an_inactive_or_failed_instance()
    {
        Add(0);
        Assert.False(_model.LayersLanded(0, 1).Applied);
        _model.Fail(0, "boom");
        Assert.False(_model.LayersLanded(0, 1).Applied);
    }

    [Fact]
    public void A_loading_instance_with_a_layer_pairs_with_a_serving_one_and_both_change_together()
    {
        var old = NewServing(0);
        var fresh = NewLoading(1, 1);

        var result = _model.Pair(1, 0);

        Assert.Equal(new TransitionResult(1, Loading, LiveNew, Partner: 0), result);
        Assert.Equal((LiveNew, (int?)0), (fresh.State, fresh.Partner));
        Assert.Equal((LiveOld, (int?)1), (old.State, old.Partner));
        Assert.True(fresh.TakesRequests);
        Assert.True(old.TakesRequests);
        Assert.False(fresh.IsLoadSource);
        Assert.True(old.IsLoadSource);
    }

    [Fact]
    public void A_loading_instance_with_no_layer_does_not_pair_because_it_could_run_nothing()
    {
        NewServing(0);
        var fresh = NewLoading(1, 0);

        var result = _model.Pair(1, 0);

        Assert.False(result.Applied);
        Assert.Contains("no layer has landed", result.Refusal, StringComparison.Ordinal);
        Assert.Equal(Loading, fresh.State);
        Assert.False(fresh.TakesRequests);
    }

    [Theory]
    [InlineData(Draining)]
    [InlineData(Warm)]
    [InlineData(LiveOld)]
    public void Only_a_serving_instance_becomes_live_old(InstanceState partnerState)
    {
        var partner = NewServing(0);
        NewLoading(1, 1);
        NewLoading(2, 1);
        if (partnerState == LiveOld) _model.Pair(2, 0);
        if (partnerState is Draining or Warm) _model.Drain(0);
        if (partnerState == Warm) _model.Drained(0);
        Assert.Equal(partnerState, partner.State);

        var result = _model.Pair(1, 0);

        Assert.False(result.Applied);
        Assert.Equal($"partner instance 0 is {partnerState}; only a Serving one becomes LiveOld", result.Refusal);
    }

    [Fact]
    public void A_live_pair_finishes_only_when_the_new_instance_holds_every_layer()
    {
        var old = NewServing(0);
        var fresh = NewLoading(1, 2);
        _model.Pair(1, 0);

        Assert.False(_model.FinishLive(1).Applied);
        Assert.False(_model.FinishLoading(1).Applied); // a LiveNew finishes through its pair
        _model.LayersLanded(1, Layers);
        var result = _model.FinishLive(1);

        Assert.Equal(new TransitionResult(1, LiveNew, InstanceState.Serving, Partner: 0), result);
        Assert.Equal((InstanceState.Serving, (int?)null), (fresh.State, fresh.Partner));
        Assert.Equal((InstanceState.Serving, (int?)null), (old.State, old.Partner));
    }

    [Fact]
    public void Unpairing_sends_the_new_instance_back_to_loading_and_the_old_one_back_to_serving()
    {
        var old = NewServing(0);
        var fresh = NewLoading(1, 2);
        _model.Pair(1, 0);

        Assert.Equal(new TransitionResult(1, LiveNew, Loading, Partner: 0), _model.Unpair(1));
        Assert.Equal((Loading, 2), (fresh.State, fresh.LoadedLayers));
        Assert.Equal(InstanceState.Serving, old.State);
        Assert.False(_model.Unpair(1).Applied);
    }

    [Fact]
    public void A_failing_live_new_instance_leaves_its_partner_serving()
    {
        var old = NewServing(0);
        var fresh = NewLoading(1, 2);
        _model.Pair(1, 0);

        var result = _model.Fail(1, "source lost");

        Assert.Equal(new TransitionResult(1, LiveNew, Failed, Partner: 0), result);
        Assert.Equal((Failed, "source lost", (int?)null), (fresh.State, fresh.FailureReason, fresh.Partner));
        Assert.Equal((InstanceState.Serving, (int?)null), (old.State, old.Partner));
    }

    [Fact]
    public void A_failing_live_old_instance_sends_its_partner_back_to_loading()
    {
        NewServing(0);
        var fresh = NewLoading(1, 2);
        _model.Pair(1, 0);

        Assert.Equal(1, _model.Fail(0, "GPU lost").Partner);
        Assert.Equal((Loading, (int?)null), (fresh.State, fresh.Partner));
    }

    [Fact]
    public void Scale_down_drains_into_warm_and_a_warm_instance_is_revived_or_evicted()
    {
        var instance = NewServing(0);

        Assert.False(_model.Drained(0).Applied);
        Assert.Equal(new TransitionResult(0, InstanceState.Serving, Draining), _model.Drain(0));
        Assert.False(instance.TakesRequests);
        Assert.True(instance.IsLoadSource);
        Assert.Equal(new TransitionResult(0, Draining, Warm), _model.Drained(0));
        Assert.Equal(new TransitionResult(0, Warm, InstanceState.Serving), _model.Revive(0));
        _model.Drain(0);
        _model.Drained(0);
        Assert.Equal(new TransitionResult(0, Warm, Inactive), _model.Evict(0));
        Assert.Equal(0, instance.LoadedLayers);
        Assert.False(_model.Revive(0).Applied);
    }

    [Fact]
    public void A_draining_instance_is_revived_before_it_stops()
    {
        NewServing(0);
        _model.Drain(0);

        Assert.Equal(new TransitionResult(0, Draining, InstanceState.Serving), _model.Revive(0));
    }

    [Fact]
    public void A_live_old_instance_does_not_drain_while_it_serves_its_partner()
    {
        NewServing(0);
        NewLoading(1, 1);
        _model.Pair(1, 0);

        Assert.Contains("unpair it first", _model.Drain(0).Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_instance_keeps_its_reason_until_it_is_reset()
    {
        var instance = NewLoading(0, 2);

        Assert.Equal(new TransitionResult(0, Loading, Failed), _model.Fail(0, "out of memory"));
        Assert.False(_model.Fail(0, "again").Applied);
        Assert.Equal("out of memory", instance.FailureReason);
        Assert.False(_model.StartLoading(0).Applied);
        Assert.Equal(new TransitionResult(0, Failed, Inactive), _model.Reset(0));
        Assert.Null(instance.FailureReason);
        Assert.Equal(0, instance.LoadedLayers);
        Assert.True(_model.StartLoading(0).Applied);
    }

    [Fact]
    public void A_failure_needs_a_reason()
    {
        Add(0);
        Assert.False(_model.Fail(0, " ").Applied);
    }

    [Fact]
    public void An_unknown_instance_is_refused_by_name()
    {
        var result = _model.StartLoading(7);

        Assert.False(result.Applied);
        Assert.Equal("instance 7: Inactive → Loading refused: instance 7 is not one of this model's", result.ToString());
    }

    [Fact]
    public void A_paired_instance_is_not_removed_but_an_unpaired_one_is_and_its_shard_is_forgotten()
    {
        NewServing(0);
        NewLoading(1, 1);
        _model.Pair(1, 0);

        Assert.False(_model.Remove(0).Applied);
        Assert.False(_model.Remove(1).Applied);
        _model.Unpair(1);
        Assert.Equal(new TransitionResult(1, Loading, Inactive), _model.Remove(1));
        Assert.Null(_model.Find(1));
        Assert.Null(_model.FindByShard("m/1/0"));
        Assert.Same(_model.Find(0), _model.FindByShard("m/0/0"));
        Assert.False(_model.Remove(1).Applied);
    }

    [Fact]
    public void Adding_a_taken_index_or_shard_is_a_programming_error()
    {
        Add(0);
        Assert.Throws<ArgumentException>(() => _model.Add(0, "m/9/0", "h0/gpu9", "h0", Layers));
        Assert.Throws<ArgumentException>(() => _model.Add(9, "m/0/0", "h0/gpu9", "h0", Layers));
        Assert.Throws<ArgumentOutOfRangeException>(() => _model.Add(9, "m/9/0", "h0/gpu9", "h0", 0));
    }

    [Fact]
    public void Counts_list_every_state_and_sources_and_takers_are_by_index()
    {
        NewServing(3);
        NewServing(0);
        NewLoading(1, 1);
        NewLoading(2, 0);
        NewServing(4);
        _model.Pair(1, 3);
        _model.Drain(4);

        var counts = _model.CountByState();

        Assert.Equal(Enum.GetValues<InstanceState>(), counts.Keys);
        Assert.Equal(1, counts[InstanceState.Serving]);
        Assert.Equal(1, counts[LiveNew]);
        Assert.Equal(1, counts[LiveOld]);
        Assert.Equal(1, counts[Loading]);
        Assert.Equal(1, counts[Draining]);
        Assert.Equal(0, counts[Warm]);
        Assert.Equal(1, _model.CountIn(Draining));
        Assert.Equal([0, 1, 3], _model.TakingRequests.Select(i => i.Index));
        Assert.Equal([0, 3, 4], _model.LoadSources.Select(i => i.Index));
        Assert.Equal([0, 1, 2, 3, 4], _model.All.Select(i => i.Index));
    }
}
