using BlitzScale.Scaling.Routing;
using BlitzScale.Scaling.Instances;
using BlitzScale.Scaling.Live;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Scaling.Tests.Live;

/// <summary>A loading instance pairs with the most loaded serving instance that is free, and only when it can run something.</summary>
public sealed class LivePartnersTests
{
    private readonly ModelInstances _model = new(new FakeTimeProvider());

    [Fact]
    public void The_most_loaded_unpaired_serving_instance_is_chosen()
    {
        var a = Serving(0);
        var b = Serving(1);
        var fresh = Loading(2, landed: 1);
        var tokens = new Dictionary<int, long> { [0] = 100, [1] = 300 };

        Assert.Same(b, LivePartners.Choose(fresh, _model.All, i => tokens.GetValueOrDefault(i)));
        tokens[0] = 300;
        Assert.Same(a, LivePartners.Choose(fresh, _model.All, i => tokens.GetValueOrDefault(i)));
    }

    [Fact]
    public void An_idle_or_paired_instance_is_not_chosen()
    {
        var busy = Serving(0);
        Serving(1);
        var first = Loading(2, landed: 1);
        var second = Loading(3, landed: 2);
        Assert.Null(LivePartners.Choose(first, _model.All, _ => 0));

        Assert.True(_model.Pair(first.Index, busy.Index).Applied);
        Assert.Null(LivePartners.Choose(second, _model.All, i => i == 0 ? 50 : 0));
    }

    [Fact]
    public void An_instance_loading_from_inside_its_host_does_not_pair_and_one_loading_over_the_network_does()
    {
        var busy = Serving(0);
        var nearby = Loading(1, landed: 3);
        var remote = Loading(2, landed: 1);
        var local = new LocalLoads();
        local.Learn(nearby.Index, marked: true);
        local.Learn(remote.Index, marked: false);

        Assert.Null(LivePartners.Choose(nearby, _model.All, _ => 100, staysOut: local.StaysOut));
        Assert.Same(busy, LivePartners.Choose(remote, _model.All, _ => 100, staysOut: local.StaysOut));
        // Planned again over the network (its source lost), or forgotten: it may pair.
        local.Learn(nearby.Index, marked: false);
        Assert.Same(busy, LivePartners.Choose(nearby, _model.All, _ => 100, staysOut: local.StaysOut));
        local.Learn(nearby.Index, marked: true);
        local.Forget(nearby.Index);
        Assert.False(local.StaysOut(nearby.Index));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void An_instance_with_no_layer_or_every_layer_does_not_pair(int landed)
    {
        Serving(0);
        var fresh = Loading(1, landed);
        Assert.Null(LivePartners.Choose(fresh, _model.All, _ => 10));
    }

    [Fact]
    public void A_chains_inner_hop_leaves_the_pair_to_its_last_hop_until_that_one_is_loaded()
    {
        var busy = Serving(0);
        var head = Loading(1, landed: 2);
        var tail = Loading(2, landed: 1);
        // The load's chain is 0 → 1 → 2: instance 1 forwards every layer it receives to instance 2.
        IEnumerable<int> Feeds(int i) => i == 1 ? [2] : [];

        Assert.Null(LivePartners.Choose(head, _model.All, _ => 10, Feeds));
        Assert.Same(busy, LivePartners.Choose(tail, _model.All, _ => 10, Feeds));

        // With its next hop loaded (or gone) the inner hop sends nothing on, so it may pair.
        _model.LayersLanded(2, 4);
        Assert.True(_model.FinishLoading(2).Applied);
        Assert.Same(busy, LivePartners.Choose(head, _model.All, i => i == 0 ? 10 : 0, Feeds));
    }

    private InstanceLifecycle Serving(int index)
    {
        var instance = _model.Add(index, $"m/{index}/0", $"h{index}/gpu0", $"h{index}", 4);
        _model.StartLoading(index);
        _model.LayersLanded(index, 4);
        Assert.True(_model.FinishLoading(index).Applied);
        return instance;
    }

    private InstanceLifecycle Loading(int index, int landed)
    {
        var instance = _model.Add(index, $"m/{index}/0", $"h{index}/gpu0", $"h{index}", 4);
        _model.StartLoading(index);
        if (landed > 0) _model.LayersLanded(index, landed);
        return instance;
    }
}
