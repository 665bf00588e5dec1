using BlitzScale.Grains.Serving;
using BlitzScale.Scaling.Instances;
using Microsoft.Extensions.Time.Testing;
using WireState = BlitzScale.Grains.Interfaces.Serving.InstanceState;
using Status = BlitzScale.Grains.Interfaces.Serving.InstanceStatus;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>The autoscaler counts every instance the model has: one being planned again as loading, one that did not answer with its state.</summary>
public sealed class AutoscaleSignalsTests
{
    private readonly ModelInstances _model = new(new FakeTimeProvider());

    private static Status Report(int index, string gpu, WireState state, int kvUsed = 0, IReadOnlyList<string>? sources = null) =>
        new(index, $"m/{index}/0", gpu, state, 4, 4, 0, 0, kvUsed, 100, 0, 0, null, QueuedPrefillTokens: 10 * index, Sources: sources);

    [Fact]
    public void A_load_being_planned_again_counts_as_loading_and_a_silent_active_instance_with_its_state()
    {
        var serving = Serving(0, "h1/gpu0");
        var replanned = Loading(1, "h2/gpu0");
        _model.Fail(replanned.Index, "lost its source h3/gpu0");
        var failed = Loading(2, "h3/gpu0");
        _model.Fail(failed.Index, "lost its source for good");
        var silent = Loading(3, "h4/gpu0");
        var warm = Serving(4, "h5/gpu0");
        _model.Drain(warm.Index);
        _model.Drained(warm.Index);

        // Only instance 0 answered (it feeds the load of h4/gpu0 from its GPU); 1 is being planned again.
        var signals = AutoscaleSignals.Of(_model.All, [Report(0, "h1/gpu0", WireState.Serving, kvUsed: 40, sources: ["h1/gpu0"])], new HashSet<int> { 1 }, new HashSet<int>());

        Assert.Equal([0, 1, 3], signals.Select(s => s.Instance));
        var first = signals[0];
        Assert.Equal((InstanceState.Serving, true, 40, 100, 0L, true), (first.State, first.Answered, first.KvBlocksUsed, first.KvBlocksTotal, first.QueuedPrefillTokens, first.FeedsLoad));
        Assert.Equal((InstanceState.Loading, false), (signals[1].State, signals[1].Answered));
        Assert.Equal((InstanceState.Loading, false, 0), (signals[2].State, signals[2].Answered, signals[2].KvBlocksUsed));
        Assert.All(signals, s => Assert.True(s.IsActive));
    }

    [Fact]
    public void Every_reported_instance_keeps_its_figures_and_a_silent_warm_one_is_left_out()
    {
        var a = Serving(0, "h1/gpu0");
        var b = Serving(1, "h2/gpu0");
        _model.Drain(b.Index);
        _model.Drained(b.Index);
        var c = Serving(2, "h3/gpu0");
        _model.Drain(c.Index);
        _model.Drained(c.Index);

        var signals = AutoscaleSignals.Of(_model.All, [Report(1, "h2/gpu0", WireState.Serving), Report(0, "h1/gpu0", WireState.Serving, kvUsed: 7)], new HashSet<int>(), new HashSet<int>());

        Assert.Equal([(0, InstanceState.Serving, 7, 0L), (1, InstanceState.Warm, 0, 10L)],
            signals.Select(s => (s.Instance, s.State, s.KvBlocksUsed, s.QueuedPrefillTokens)));
        Assert.All(signals, s => Assert.True(s.Answered));
        Assert.DoesNotContain(signals, s => s.Instance == c.Index);
        Assert.Equal(a.Index, signals[0].Instance);
    }

    [Fact]
    public void An_instance_whose_silo_cannot_be_reached_is_left_out_so_that_a_scale_up_replaces_it_at_once()
    {
        Serving(0, "h1/gpu0");
        Serving(1, "h2/gpu0");
        Loading(2, "h3/gpu0");

        // h2's silo was killed: the connection is refused, though membership has not yet declared it dead. h3's shard was slow.
        var signals = AutoscaleSignals.Of(_model.All, [Report(0, "h1/gpu0", WireState.Serving)], new HashSet<int>(), new HashSet<int> { 1 });

        Assert.Equal([(0, true), (2, false)], signals.Select(s => (s.Instance, s.Answered)));
    }

    private InstanceLifecycle Loading(int index, string gpu)
    {
        var instance = _model.Add(index, $"m/{index}/0", gpu, gpu.Split('/')[0], 4);
        _model.StartLoading(index);
        return instance;
    }

    private InstanceLifecycle Serving(int index, string gpu)
    {
        var instance = Loading(index, gpu);
        _model.LayersLanded(index, 4);
        _model.FinishLoading(index);
        return instance;
    }
}
