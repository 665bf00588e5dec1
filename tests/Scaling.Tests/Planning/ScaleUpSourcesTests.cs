using BlitzScale.Scaling.Instances;
using BlitzScale.Scaling.Live;
using BlitzScale.Scaling.Planning;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Scaling.Tests.Planning;

/// <summary>A scale-up that names no sources extends the chains of loads in flight instead of sharing a feeding holder's link.</summary>
public sealed class ScaleUpSourcesTests
{
    private readonly ModelInstances _model = new(new FakeTimeProvider());
    private readonly LoadHops _hops = new();

    [Fact]
    public void With_nothing_loading_every_holder_sends()
    {
        var a = Serving(0, "h0");
        var warm = Serving(1, "h1");
        Assert.True(_model.Drain(warm.Index).Applied);
        Assert.True(_model.Drained(warm.Index).Applied);
        _model.Add(2, "m/2/0", "h2/gpu2", "h2", 4);
        // The hops of loads long finished say nothing about links now.
        _hops.Learn(a.Index, warm.Index);

        Assert.Equal([a, warm], ScaleUpSources.Choose(_model.All, _hops, "h3"));
    }

    [Fact]
    public void A_holder_feeding_a_load_leaves_the_next_target_to_the_loading_instance()
    {
        var source = Serving(0, "h0");
        var first = Loading(1, "h1", landed: 1);
        _hops.Learn(source.Index, first.Index);

        Assert.Equal([first], ScaleUpSources.Choose(_model.All, _hops, "h2"));
    }

    [Fact]
    public void A_chain_is_extended_at_its_last_hop_paired_or_not()
    {
        var source = Serving(0, "h0");
        var head = Loading(1, "h1", landed: 2);
        var tail = Loading(2, "h2", landed: 1);
        _hops.Learn(source.Index, head.Index);
        _hops.Learn(head.Index, tail.Index);
        Assert.Equal([tail], ScaleUpSources.Choose(_model.All, _hops, "h3"));

        // A LiveNew still forwards what lands; its hidden states to its partner are a small share of its link.
        Assert.True(_model.Pair(tail.Index, source.Index).Applied);
        Assert.Equal([tail], ScaleUpSources.Choose(_model.All, _hops, "h3"));
    }

    [Fact]
    public void A_free_holder_sends_before_a_chain_end_and_a_fed_target_frees_its_feeder()
    {
        var feeding = Serving(0, "h0");
        var idle = Serving(1, "h1");
        var loading = Loading(2, "h2", landed: 1);
        _hops.Learn(feeding.Index, loading.Index);
        // Behind the loading instance the target would finish no sooner than it, and the loading one could not pair.
        Assert.Equal([idle], ScaleUpSources.Choose(_model.All, _hops, "h3"));

        // Once its target holds every layer, the holder's link is free again and nothing loads: every holder sends.
        _model.LayersLanded(loading.Index, 4);
        Assert.True(_model.FinishLoading(loading.Index).Applied);
        Assert.Equal([feeding, idle, loading], ScaleUpSources.Choose(_model.All, _hops, "h3"));
    }

    [Fact]
    public void A_feeding_holder_still_sends_to_its_own_host()
    {
        var source = Serving(0, "h0");
        var loading = Loading(1, "h1", landed: 1);
        _hops.Learn(source.Index, loading.Index);

        // A copy within h0 does not cross its link out, and the holder goes before the chain's end.
        Assert.Equal([source], ScaleUpSources.Choose(_model.All, _hops, "h0"));
        Assert.Equal([loading], ScaleUpSources.Choose(_model.All, _hops, "h5"));
    }

    private InstanceLifecycle Serving(int index, string host)
    {
        var instance = Loading(index, host, landed: 4);
        Assert.True(_model.FinishLoading(index).Applied);
        return instance;
    }

    private InstanceLifecycle Loading(int index, string host, int landed)
    {
        var instance = _model.Add(index, $"m/{index}/0", $"{host}/gpu{index}", host, 4);
        _model.StartLoading(index);
        if (landed > 0) _model.LayersLanded(index, landed);
        return instance;
    }
}
