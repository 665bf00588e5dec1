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
        local.Learn(nearby.Index, local: true);
        local.Learn(remote.Index, local: false);

        Assert.Null(LivePartners.Choose(nearby, _model.All, _ => 100, staysOut: local.Contains));
        Assert.Same(busy, LivePartners.Choose(remote, _model.All, _ => 100, staysOut: local.Contains));
        // Planned again over the network (its source lost), or forgotten: it may pair.
        local.Learn(nearby.Index, local: false);
        Assert.Same(busy, LivePartners.Choose(nearby, _model.All, _ => 100, staysOut: local.Contains));
        local.Learn(nearby.Index, local: true);
        local.Forget(nearby.Index);
        Assert.False(local.Contains(nearby.Index));
    }

    [Fact]
    public void A_load_from_inside_its_host_pairs_only_where_the_mix_would_split()
    {
        // bench live's seats: 16 of the longest requests, a step budget of 512 tokens.
        var seats = InstanceSeats.ForBudget(kvBlocks: 16 * 93, blockSize: 16, maxRequests: 64, maxBatchTokens: 512);
        // Code-shaped requests (1,469 in, 13 out): 2.9 steps of prefill each against 1.0 of a seat's steps whole; split at
        // half the layers, 1.4 of prefill and (3 × 13 + 1.4) ÷ 16 = 2.5 of a seat's: less than whole.
        Assert.True(LivePartners.PairsWithinHost(new RequestMix(1482, 1469), seats));
        // bench live's defaults (32 in, 32 out) and the replay's mean mix (439 in, 24 out): seats bind.
        Assert.False(LivePartners.PairsWithinHost(new RequestMix(64, 32), seats));
        var replaySeats = InstanceSeats.ForBudget(16 * 29, 16, 64, 512);
        Assert.False(LivePartners.PairsWithinHost(new RequestMix(463, 439), replaySeats));
        // The replay's mix at its burst (500 in, 8 out): bound by prefill whole (0.98 of a step against 0.64 of a seat's steps,
        // 14 seats), but split its tokens take (3 × 8 + 0.49) ÷ 14 = 1.75 of a seat's steps, more than whole. The first version of the rule, which asked
        // only what binds the mix, paired here.
        var burst = new RequestMix(508, 500);
        Assert.False(burst.SeatsBind(replaySeats));
        Assert.False(LivePartners.PairsWithinHost(burst, replaySeats));
        // Nothing known: as before the rule.
        Assert.True(LivePartners.PairsWithinHost(null, seats));
        Assert.True(LivePartners.PairsWithinHost(new RequestMix(64, 32), null));

        // What the model grain asks: a local load stays out where the mix would not split; a network load never does.
        var local = new LocalLoads();
        local.Learn(1, local: true);
        Assert.True(local.StaysOut(1, new RequestMix(64, 32), seats));
        Assert.True(local.StaysOut(1, burst, replaySeats));
        Assert.False(local.StaysOut(1, new RequestMix(1482, 1469), seats));
        Assert.False(local.StaysOut(2, new RequestMix(64, 32), seats));
    }

    [Fact]
    public void A_load_from_a_neighbour_over_NVLink_stays_out_whatever_the_mix()
    {
        var seats = InstanceSeats.ForBudget(kvBlocks: 16 * 93, blockSize: 16, maxRequests: 64, maxBatchTokens: 512);
        var prefillBound = new RequestMix(1482, 1469);
        var local = new LocalLoads();
        local.Learn(1, local: true, fromNeighbour: true);
        local.Learn(2, local: true);

        // The code-shaped mix pairs a host copy's load but not a neighbour's, nor with nothing known of the mix.
        Assert.True(local.StaysOut(1, prefillBound, seats));
        Assert.True(local.StaysOut(1, null, null));
        Assert.False(local.StaysOut(2, prefillBound, seats));
        // Planned again over the network, it may pair; planned again from the host copy, the mix decides; forgotten, nothing stays.
        local.Learn(1, local: false, fromNeighbour: true);
        Assert.False(local.StaysOut(1, prefillBound, seats));
        local.Learn(1, local: true);
        Assert.False(local.StaysOut(1, prefillBound, seats));
        local.Learn(1, local: true, fromNeighbour: true);
        local.Forget(1);
        Assert.False(local.StaysOut(1, null, null));
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
