using BlitzScale.Scaling.Instances;
using BlitzScale.Scaling.Live;
using BlitzScale.Scaling.Routing;
using Microsoft.Extensions.Time.Testing;
using static BlitzScale.Scaling.Instances.InstanceState;

namespace BlitzScale.Scaling.Tests.Live;

/// <summary>
/// Loads in complementary orders: which two loading instances pair (the head landing its first layers, the tail its last,
/// once they cover the model), the LiveTail's transitions, and the router's seats for a LiveNew beside a LiveTail.
/// </summary>
public sealed class ComplementaryPairTests
{
    private const int Layers = 8;
    private readonly ModelInstances _model = new(new FakeTimeProvider());
    private readonly TailLoads _tails = new();

    private InstanceLifecycle Serving(int index)
    {
        var instance = _model.Add(index, $"m/{index}/0", $"h{index}/gpu0", $"h{index}", Layers);
        _model.StartLoading(index);
        _model.LayersLanded(index, Layers);
        Assert.True(_model.FinishLoading(index).Applied);
        return instance;
    }

    private InstanceLifecycle Head(int index, int first) => NewLoad(index, first, lastFirst: false);

    private InstanceLifecycle Tail(int index, int last) => NewLoad(index, last, lastFirst: true);

    // A loading instance holding `layers` from the first, or with lastFirst from the last with the head.
    private InstanceLifecycle NewLoad(int index, int layers, bool lastFirst)
    {
        var instance = _model.Add(index, $"m/{index}/0", $"h{index}/gpu0", $"h{index}", Layers);
        _model.StartLoading(index);
        if (lastFirst) _model.TailLayersLanded(index, layers);
        else _model.LayersLanded(index, layers);
        _tails.Learn(index, marked: lastFirst);
        return instance;
    }

    [Fact]
    public void A_head_and_a_tail_pair_only_once_their_layers_cover_the_model_whichever_landed_last()
    {
        Serving(0);
        var head = Head(1, first: 3);
        var tail = Tail(2, last: 4);
        Assert.Null(LivePartners.ChooseComplementary(head, _model.All, _tails.LoadsLastFirst));
        Assert.Null(LivePartners.ChooseComplementary(tail, _model.All, _tails.LoadsLastFirst));
        Assert.Contains("do not cover the model's 8", _model.PairTail(head.Index, tail.Index).Refusal);

        _model.TailLayersLanded(tail.Index, 5);
        Assert.Equal((head, tail), LivePartners.ChooseComplementary(tail, _model.All, _tails.LoadsLastFirst));
        Assert.Equal((head, tail), LivePartners.ChooseComplementary(head, _model.All, _tails.LoadsLastFirst));

        var paired = _model.PairTail(head.Index, tail.Index);
        Assert.True(paired.Applied, paired.Refusal);
        Assert.Equal((LiveNew, LiveTail, 2, 1), (head.State, tail.State, head.Partner, tail.Partner));
        // Paired, neither is offered again, and a LiveTail takes no requests of its own but counts as loading and active.
        Assert.Null(LivePartners.ChooseComplementary(tail, _model.All, _tails.LoadsLastFirst));
        Assert.False(tail.TakesRequests);
        Assert.True(tail.IsActive && tail.IsLoading && !tail.IsLoadSource);
        Assert.DoesNotContain(tail, _model.TakingRequests);
    }

    [Fact]
    public void A_tail_takes_the_head_holding_the_most_layers_and_a_head_that_forwards_or_stays_out_is_passed_over()
    {
        var forwards = Head(1, first: 6);
        var stays = Head(2, first: 7);
        var plain = Head(3, first: 5);
        var tail = Tail(4, last: 4);
        var hops = new LoadHops();
        hops.Learn(forwards.Index, 5);
        Head(5, first: 0);
        var local = new LocalLoads();
        local.Learn(stays.Index, marked: true);

        Assert.Equal((stays, tail), LivePartners.ChooseComplementary(tail, _model.All, _tails.LoadsLastFirst));
        Assert.Equal((plain, tail), LivePartners.ChooseComplementary(tail, _model.All, _tails.LoadsLastFirst, hops.From, local.StaysOut));
        // A head whose first layers have not landed, or one that loads last first itself, is no head.
        Assert.Null(LivePartners.ChooseComplementary(_model.Find(5)!, _model.All, _tails.LoadsLastFirst));
        Assert.Null(LivePartners.ChooseComplementary(Tail(6, last: 8 - 1), _model.All, _ => true));
    }

    [Fact]
    public void A_head_paired_with_a_busy_instance_leaves_it_for_the_tail_once_they_cover_the_model()
    {
        var busy = Serving(0);
        var head = Head(1, first: 2);
        var tail = Tail(2, last: 3);
        Assert.True(_model.Pair(head.Index, busy.Index).Applied);
        Assert.Null(LivePartners.ChooseComplementary(tail, _model.All, _tails.LoadsLastFirst));

        _model.LayersLanded(head.Index, 5);
        Assert.Equal((head, tail), LivePartners.ChooseComplementary(tail, _model.All, _tails.LoadsLastFirst));
        var switched = _model.PairTail(head.Index, tail.Index);
        Assert.True(switched.Applied, switched.Refusal);
        Assert.Equal((LiveNew, LiveNew, tail.Index), (switched.From, switched.To, switched.Partner));
        Assert.Equal((LiveNew, LiveTail, InstanceState.Serving), (head.State, tail.State, busy.State));
        Assert.Equal((2, 1, (int?)null), (head.Partner, tail.Partner, busy.Partner));
        // A LiveNew beside a LiveTail is no head for another tail.
        Assert.Null(LivePartners.ChooseComplementary(Tail(3, last: 7), _model.All, _tails.LoadsLastFirst));
    }

    [Fact]
    public void A_tail_whose_load_completes_first_becomes_LiveOld_and_serves_and_the_pair_ends_as_a_LiveOld_pair()
    {
        var head = Head(1, first: 4);
        var tail = Tail(2, last: 4);
        Assert.True(_model.PairTail(head.Index, tail.Index).Applied);
        Assert.Contains("layers have landed", _model.TailLoaded(tail.Index).Refusal);

        _model.LayersLanded(tail.Index, Layers);
        Assert.True(_model.TailLoaded(tail.Index).Applied);
        Assert.Equal((LiveNew, LiveOld), (head.State, tail.State));
        Assert.True(tail.TakesRequests && tail.IsLoadSource);

        _model.LayersLanded(head.Index, Layers);
        var finished = _model.FinishLive(head.Index);
        Assert.True(finished.Applied, finished.Refusal);
        Assert.Equal((InstanceState.Serving, InstanceState.Serving), (head.State, tail.State));
    }

    [Fact]
    public void A_head_whose_load_completes_first_leaves_its_tail_loading_and_a_failure_of_either_sends_the_other_back_to_Loading()
    {
        var head = Head(1, first: 4);
        var tail = Tail(2, last: 4);
        Assert.True(_model.PairTail(head.Index, tail.Index).Applied);
        _model.LayersLanded(head.Index, Layers);
        Assert.True(_model.FinishLive(head.Index).Applied);
        Assert.Equal((InstanceState.Serving, Loading), (head.State, tail.State));
        Assert.Null(tail.Partner);
        Assert.True(_model.FinishLoading(tail.Index) is { Applied: false });
        _model.LayersLanded(tail.Index, Layers);
        Assert.True(_model.FinishLoading(tail.Index).Applied);

        var head2 = Head(3, first: 4);
        var tail2 = Tail(4, last: 4);
        Assert.True(_model.PairTail(head2.Index, tail2.Index).Applied);
        Assert.Equal(tail2.Index, _model.Fail(head2.Index, "its host died").Partner);
        Assert.Equal((Failed, Loading), (head2.State, tail2.State));

        var head3 = Head(5, first: 4);
        Assert.True(_model.PairTail(head3.Index, tail2.Index).Applied);
        Assert.Equal(head3.Index, _model.Fail(tail2.Index, "its host died").Partner);
        Assert.Equal((Loading, Failed), (head3.State, tail2.State));

        var tail3 = Tail(6, last: 4);
        Assert.True(_model.PairTail(head3.Index, tail3.Index).Applied);
        Assert.True(_model.Unpair(head3.Index).Applied);
        Assert.Equal((Loading, Loading), (head3.State, tail3.State));
        Assert.Contains("only a Serving instance drains", Drain(tail3));
    }

    [Fact]
    public void The_state_machine_refuses_a_tail_pair_of_the_wrong_states()
    {
        var busy = Serving(0);
        var head = Head(1, first: 4);
        var empty = Head(2, first: 0);
        var tail = Tail(3, last: 4);
        Assert.Contains("only a Loading one becomes LiveTail", _model.PairTail(head.Index, busy.Index).Refusal);
        Assert.Contains("no layer has landed", _model.PairTail(empty.Index, tail.Index).Refusal);
        Assert.Contains("only a Loading instance, or a LiveNew beside a LiveOld, pairs with a LiveTail", _model.PairTail(busy.Index, tail.Index).Refusal);
        Assert.Contains("not one of this model's", _model.PairTail(head.Index, 99).Refusal);
        Assert.Contains("the last 9 layers landed", _model.TailLayersLanded(tail.Index, 9).Refusal);
        // A stale report changes nothing.
        _model.TailLayersLanded(tail.Index, 2);
        Assert.Equal(4, tail.LoadedTailLayers);
    }

    [Fact]
    public void A_LiveNew_beside_a_LiveTail_seats_up_to_its_running_limit_where_one_beside_a_busy_instance_seats_one_request_whose_split_saves_little()
    {
        var busy = Serving(0);
        var head = Head(1, first: 4);
        var tail = Tail(2, last: 4);
        var other = Head(3, first: 2);
        var router = new RequestRouter(_model);
        var seats = new InstanceSeats(MaxRequests: 4, KvBlocks: 1000, BlockSize: 16, PrefillTokens: 100_000);
        router.SetSeats(head.Index, seats);
        router.SetSeats(other.Index, seats);
        Assert.True(_model.PairTail(head.Index, tail.Index).Applied);
        Assert.True(_model.Pair(other.Index, busy.Index).Applied);

        // Decode-heavy requests (their split saves the busy instance little).
        for (int n = 0; n < 3; n++) Assert.True(router.Move(router.Route(1000, 10).Ticket!.Value.Id, head.Index));
        Assert.True(router.HasSeat(head.Index));
        Assert.True(router.Move(router.Route(1000, 10).Ticket!.Value.Id, head.Index));
        Assert.False(router.HasSeat(head.Index));
        Assert.True(router.Move(router.Route(1000, 10).Ticket!.Value.Id, other.Index));
        Assert.False(router.HasSeat(other.Index));
    }

    private string Drain(InstanceLifecycle instance) => _model.Drain(instance.Index).Refusal ?? "";
}

/// <summary>Where a LiveNew beside a LiveTail splits: half the layers the tail allows, never below what already ran.</summary>
public sealed class ComplementarySplitTests
{
    [Theory]
    [InlineData(32, 16, 16)]
    [InlineData(32, 20, 16)]
    [InlineData(32, 12, 20)]
    [InlineData(5, 3, 2)]
    [InlineData(5, 2, 3)]
    public void The_cap_is_half_the_layers_or_the_tails_first_layer(int layers, int tail, int cap) =>
        Assert.Equal(cap, ComplementarySplit.Cap(layers, tail));

    [Fact]
    public void A_switch_keeps_the_cap_no_lower_than_the_layers_already_usable()
    {
        // bench live's warm-up at ecaf4eb: the head had run 20 layers beside the busy instance when the pair with the tail
        // formed with cap 17, and its scheduler refused the fall ("layers only land"): its serving loop failed.
        Assert.Equal(20, ComplementarySplit.AtSwitch(17, 20));
        Assert.Equal(16, ComplementarySplit.AtSwitch(16, 12));
        Assert.Throws<ArgumentOutOfRangeException>(() => ComplementarySplit.Cap(32, 33));
    }
}
