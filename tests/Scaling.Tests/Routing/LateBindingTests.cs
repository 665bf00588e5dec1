using BlitzScale.Scaling.Instances;
using BlitzScale.Scaling.Routing;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Scaling.Tests.Routing;

/// <summary>
/// Late binding: an instance with known seats takes requests only while it has a free one; the rest wait in the
/// <see cref="RouteQueue"/>, first come first served, for the first seat that frees or the first instance that starts serving.
/// </summary>
public sealed class LateBindingTests
{
    private const int Layers = 4;
    // 10 blocks of 16 positions, at most 3 requests at once.
    private static readonly InstanceSeats Seats = new(KvBlocks: 10, BlockSize: 16, MaxRequests: 3);
    private readonly ModelInstances _model = new(new FakeTimeProvider());
    private readonly RequestRouter _router;
    private readonly RouteQueue _queue = new();

    public LateBindingTests() => _router = new RequestRouter(_model);

    private void Serving(int index)
    {
        _model.AddServing(index, Layers);
    }

    // Instance 0 serves with its one seat taken; instance 1, with liveNewSeats, pairs with it as LiveNew on its first layer.
    private void PairWithFullOld(InstanceSeats liveNewSeats)
    {
        Serving(0);
        Loading(1);
        _router.SetSeats(0, Seats with { MaxRequests = 1 });
        _router.SetSeats(1, liveNewSeats);
        _router.Route(10);
        _model.LayersLanded(1, 1);
        _model.Pair(1, 0);
    }

    // Instance 0 serves and instance 1, holding half the layers, pairs with it as LiveNew; both with these seats.
    private void PairAtHalfLoad(InstanceSeats seats)
    {
        Serving(0);
        Loading(1);
        _router.SetSeats(0, seats);
        _router.SetSeats(1, seats);
        _model.LayersLanded(1, Layers / 2);
        _model.Pair(1, 0);
    }

    private void Loading(int index)
    {
        _model.Add(index, $"m/{index}/0", $"h0/gpu{index}", "h0", Layers);
        _model.StartLoading(index);
    }

    [Fact]
    public void An_instance_takes_requests_until_its_running_limit_then_the_router_answers_full()
    {
        Serving(0);
        _router.SetSeats(0, Seats);

        var routed = Enumerable.Range(0, 3).Select(_ => _router.Route(16)).ToList();
        var fourth = _router.Route(16);

        Assert.All(routed, r => Assert.True(r.Routed));
        Assert.True(fourth.Full);
        Assert.False(fourth.Routed);
        Assert.Null(fourth.NoInstance);
        Assert.Equal(3, _router.ReservedBlocks(0));
    }

    [Fact]
    public void An_instance_takes_requests_while_a_block_is_free_and_one_more_that_overflows_then_none()
    {
        Serving(0);
        _router.SetSeats(0, Seats);

        var first = _router.Route(100);   // 7 blocks
        var second = _router.Route(50);   // 4 blocks: 11 of 10, it waits at the instance
        var third = _router.Route(1);

        Assert.True(first.Routed);
        Assert.True(second.Routed);
        Assert.True(third.Full);
        Assert.Equal(11, _router.ReservedBlocks(0));
        _router.Release(first.Ticket!.Value);
        Assert.True(_router.HasSeat(0));
        Assert.Equal(4, _router.ReservedBlocks(0));
    }

    [Fact]
    public void Full_instances_leave_the_request_to_one_with_a_seat_even_with_more_tokens_outstanding()
    {
        Serving(0);
        Serving(1);
        _router.SetSeats(0, Seats with { MaxRequests = 1 });
        _router.SetSeats(1, Seats);

        Assert.Equal(0, _router.Route(10).Ticket!.Value.Instance);
        Assert.Equal(1, _router.Route(100).Ticket!.Value.Instance);
        // 0 owes less but is full.
        Assert.Equal(1, _router.Route(10).Ticket!.Value.Instance);
    }

    [Fact]
    public void An_instance_whose_seats_are_not_known_takes_every_request()
    {
        Serving(0);

        Assert.All(Enumerable.Range(0, 100), _ => Assert.True(_router.Route(1_000).Routed));
        Assert.Equal(0, _router.ReservedBlocks(0));
    }

    [Fact]
    public void Seats_learned_later_count_the_requests_already_open()
    {
        Serving(0);
        _router.Route(16);
        _router.Route(17);

        _router.SetSeats(0, Seats with { MaxRequests = 2 });

        Assert.Equal(3, _router.ReservedBlocks(0));
        Assert.True(_router.Route(1).Full);
    }

    [Fact]
    public void A_request_moved_to_a_live_partner_takes_its_blocks_with_it()
    {
        Serving(0);
        Serving(1);
        _router.SetSeats(0, Seats with { MaxRequests = 1 });
        _router.SetSeats(1, Seats);
        var ticket = _router.Route(40).Ticket!.Value;
        Assert.True(_router.Route(1).Ticket!.Value.Instance == 1);

        Assert.True(_router.Move(ticket.Id, 1));

        Assert.Equal((0L, 4L), (_router.ReservedBlocks(0), _router.ReservedBlocks(1)));
        Assert.True(_router.HasSeat(0));
    }

    [Fact]
    public void A_live_new_instance_takes_few_requests_that_generate_as_much_as_their_prompt_then_all_its_seats_once_loaded()
    {
        PairWithFullOld(new InstanceSeats(KvBlocks: 100, BlockSize: 16, MaxRequests: 20));

        var live = Enumerable.Range(0, 6).Select(_ => _router.Route(10)).ToList();

        Assert.Equal(RequestRouter.DefaultLiveNewRequests, _router.LiveNewRequests);
        Assert.Equal(_router.LiveNewRequests, live.Count(r => r.Routed));
        Assert.All(live.Where(r => r.Routed), r => Assert.Equal(1, r.Ticket!.Value.Instance));
        Assert.True(live[_router.LiveNewRequests].Full);
        _model.LayersLanded(1, Layers);
        Assert.True(_model.FinishLive(1).Applied);
        Assert.Equal(1, _router.Route(10).Ticket!.Value.Instance);
    }

    [Fact]
    public void A_live_old_instance_leaves_requests_to_its_partner_while_the_partner_has_a_seat()
    {
        Serving(0);
        Loading(1);
        Serving(2);
        _router.SetSeats(0, Seats);
        _router.SetSeats(1, Seats);
        _router.SetSeats(2, Seats);
        _model.LayersLanded(1, 1);
        _model.Pair(1, 0);

        // A request that generates as much as its prompt goes by outstanding tokens: to the LiveOld (0), lowest index among equals.
        var light = _router.Route(16, promptTokens: 8);
        Assert.Equal(0, light.Ticket!.Value.Instance);
        _router.Release(light.Ticket!.Value);

        // Prefill-heavy ones: the LiveOld, lowest index with as few tokens outstanding, takes none while its partner (1) has a
        // seat; the other serving instance (2) is no partner and takes by outstanding tokens as before. Once the partner is
        // full, the LiveOld takes them.
        var routed = Enumerable.Range(0, 8).Select(_ => _router.Route(16, promptTokens: 12).Ticket!.Value.Instance).ToList();

        Assert.Equal([1, 2, 1, 2, 1, 0, 0, 0], routed);
        Assert.False(_router.HasSeat(1, splitHelps: true));
    }

    [Fact]
    public void A_live_new_instance_takes_prefill_heavy_requests_up_to_its_running_limit()
    {
        PairWithFullOld(new InstanceSeats(KvBlocks: 100, BlockSize: 16, MaxRequests: 10));

        var heavy = Enumerable.Range(0, 12).Select(_ => _router.Route(20, promptTokens: 15)).ToList();

        Assert.Equal(10, heavy.Count(r => r.Routed));
        Assert.All(heavy.Where(r => r.Routed), r => Assert.Equal(1, r.Ticket!.Value.Instance));
        Assert.True(heavy[10].Full);
    }

    [Theory]
    [InlineData(1482, 1469, true)]
    [InlineData(64, 32, false)]
    [InlineData(65, 33, true)]
    [InlineData(10, 0, false)]
    public void A_request_is_prefill_heavy_when_its_prompt_outweighs_its_generation(long estimate, long prompt, bool heavy) =>
        Assert.Equal(heavy, RequestRouter.IsPrefillHeavy(estimate, prompt));

    // Seats sized as bench live sizes them: KV for exactly 16 requests of 1,469 + 13 tokens, running limit 64, 512-token steps.
    private static readonly InstanceSeats BenchSeats = InstanceSeats.ForBudget(kvBlocks: 16 * 93, blockSize: 16, maxRequests: 64, maxBatchTokens: 512);

    [Theory]
    // bench live's code-shaped requests: the LiveOld is bound by prefill; a split helps, from a quarter of the layers on.
    [InlineData(1482, 1469, 0.5, true)]
    [InlineData(1482, 1469, 0.25, true)]
    [InlineData(1482, 1469, 0.2, false)]
    [InlineData(1482, 1469, 1.0 / 32, false)]
    // No layer yet: a split saves nothing and costs seat time.
    [InlineData(1482, 1469, 0.0, false)]
    // The replay's mean shape (439 in, 24 out) and bench live's defaults (32/32): seats bind, a split only holds one longer.
    [InlineData(463, 439, 0.5, false)]
    [InlineData(463, 439, 0.9, false)]
    [InlineData(64, 32, 0.5, false)]
    public void A_split_helps_only_where_the_live_old_is_bound_by_prefill_rather_than_seats(long estimate, long prompt, double loaded, bool helps) =>
        Assert.Equal(helps, RequestRouter.SplitHelps(estimate, prompt, BenchSeats, loaded));

    // Seats sized as bench replay sizes them: KV for 16 requests of its mean shape (439 + 24 tokens), 512-token steps.
    private static readonly InstanceSeats ReplaySeats = InstanceSeats.ForBudget(kvBlocks: 16 * 29, blockSize: 16, maxRequests: 64, maxBatchTokens: 512);

    [Fact]
    public void Where_the_mix_is_bound_by_seats_a_prefill_heavy_request_does_not_split()
    {
        // A full-length prompt with 3 tokens out is bound by prefill on its own; split at half the layers it takes half the
        // LiveOld's prefill but holds its seat three times as long.
        Assert.True(RequestRouter.SplitHelps(515, 512, ReplaySeats, 0.5));
        var replay = new RequestMix(463, 439);
        Assert.True(replay.SeatsBind(ReplaySeats));
        Assert.False(RequestRouter.SplitHelps(515, 512, ReplaySeats, 0.5, replay));
        // bench live's code-shaped mix is bound by prefill: its requests split as before.
        var code = new RequestMix(1482, 1469);
        Assert.False(code.SeatsBind(BenchSeats));
        Assert.True(RequestRouter.SplitHelps(1482, 1469, BenchSeats, 0.5, code));
        // The mix never makes a split help where the request's own shape says it does not.
        Assert.False(RequestRouter.SplitHelps(463, 439, BenchSeats, 0.5, code));
    }

    [Fact]
    public void The_mix_follows_the_routed_requests_each_weighing_a_sixteenth()
    {
        var mix = RequestMix.With(null, 100, 80);
        Assert.Equal(new RequestMix(100, 80), mix);
        mix = RequestMix.With(mix, 260, 240);
        Assert.Equal(110, mix.EstimatedTokens, 9);
        Assert.Equal(90, mix.PromptTokens, 9);
    }

    [Fact]
    public void A_router_serving_a_seat_bound_mix_leaves_no_prefill_heavy_request_to_the_live_new()
    {
        PairAtHalfLoad(ReplaySeats);

        // The replay's shape, each started at once: the LiveNew takes one (its one request whose split does not help), the
        // LiveOld the rest.
        var mixed = Enumerable.Range(0, 8).Select(_ =>
        {
            var ticket = _router.Route(463, promptTokens: 439).Ticket!.Value;
            _router.Started(ticket.Id);
            return ticket;
        }).ToList();
        Assert.Equal(1, mixed.Count(t => t.Instance == 1));
        var heavy = _router.Route(515, promptTokens: 512);
        Assert.Equal(0, heavy.Ticket!.Value.Instance);

        // The same request with no mix before it (a fresh router) is its own mix: bound by prefill, it goes to the LiveNew.
        // Requests refused a seat do not count in the mix: offered again, a held request weighs once.
        RouteResult last;
        int routed = 0;
        do
        {
            last = _router.Route(463, promptTokens: 439);
            routed += last.Routed ? 1 : 0;
        }
        while (last.Routed && routed < 64);
        Assert.True(last.Full);
        var before = _router.Mix;
        Assert.True(_router.Route(100_000, promptTokens: 99_000).Full);
        Assert.Equal(before, _router.Mix);

        var fresh = new RequestRouter(_model);
        fresh.SetSeats(0, ReplaySeats);
        fresh.SetSeats(1, ReplaySeats);
        Assert.Equal(1, fresh.Route(515, promptTokens: 512).Ticket!.Value.Instance);
    }

    [Fact]
    public void Without_a_known_step_budget_a_split_goes_by_the_prompt_outweighing_the_generation()
    {
        Assert.True(RequestRouter.SplitHelps(463, 439, null, 0.5));
        Assert.True(RequestRouter.SplitHelps(463, 439, BenchSeats with { StepTokens = 0 }, 0.5));
        Assert.False(RequestRouter.SplitHelps(64, 32, null, 0.5));
        Assert.Equal(512, BenchSeats.StepTokens);
    }

    [Fact]
    public void Requests_that_would_hold_the_live_olds_seats_go_by_outstanding_tokens_and_prefill_bound_ones_to_the_live_new()
    {
        PairAtHalfLoad(BenchSeats);

        // Shaped like the replay's (seats bind): by outstanding tokens, the LiveOld first (lowest index among equals).
        var seatBound = _router.Route(463, promptTokens: 439);
        Assert.Equal(0, seatBound.Ticket!.Value.Instance);
        // Shaped like the code trace's (prefill binds): the LiveOld leaves it to its partner, though the partner owes nothing less.
        var prefillBound = _router.Route(1482, promptTokens: 1469);
        Assert.Equal(1, prefillBound.Ticket!.Value.Instance);
        var next = _router.Route(1482, promptTokens: 1469);
        Assert.Equal(1, next.Ticket!.Value.Instance);
    }

    [Fact]
    public void A_live_new_instance_holds_twice_the_unstarted_prompts_of_a_serving_one()
    {
        PairWithFullOld(new InstanceSeats(KvBlocks: 1000, BlockSize: 16, MaxRequests: 16, PrefillTokens: 1000));

        // Prompts of 600: a serving instance holds two unstarted (UnstartedAlways), a LiveNew four, or 2,000 tokens of them.
        var large = Enumerable.Range(0, 5).Select(_ => _router.Route(700, promptTokens: 600)).ToList();
        Assert.Equal(2 * RequestRouter.UnstartedAlways, large.Count(r => r.Routed));
        Assert.True(large[^1].Full);

        Assert.True(_router.Started(large[0].Ticket!.Value.Id));
        Assert.True(_router.Started(large[1].Ticket!.Value.Id));
        Assert.True(_router.Started(large[2].Ticket!.Value.Id));
        // 600 unstarted: small prompts fill the bound up to 2 × 1,000 tokens.
        var small = Enumerable.Range(0, 6).Select(_ => _router.Route(400, promptTokens: 300)).ToList();
        Assert.Equal(5, small.Count(r => r.Routed));
        Assert.Equal(2100, _router.UnstartedPromptTokens(1));
    }

    [Fact]
    public void With_no_instance_taking_requests_the_answer_is_a_refusal_not_full()
    {
        Loading(0);
        _router.SetSeats(0, Seats);

        var result = _router.Route(1);

        Assert.False(result.Full);
        Assert.NotNull(result.NoInstance);
    }

    [Fact]
    public void Waiting_requests_go_in_arrival_order_to_seats_as_they_free_and_a_small_one_never_passes_a_large_one()
    {
        Serving(0);
        _router.SetSeats(0, Seats with { MaxRequests = 2 });
        var held = new[] { _router.Route(10).Ticket!.Value, _router.Route(10).Ticket!.Value };
        long a = _queue.Enqueue(10), b = _queue.Enqueue(10), c = _queue.Enqueue(10);

        Assert.Empty(_queue.Dispatch(_router));
        _router.Release(held[0]);
        var first = _queue.Dispatch(_router);
        _router.Release(held[1]);
        var second = _queue.Dispatch(_router);

        Assert.Equal([a], first.Select(r => r.Id));
        Assert.Equal([b], second.Select(r => r.Id));
        Assert.Equal(1, _queue.Count);
        Assert.Equal(10, _queue.EstimatedTokens);
        Assert.True(_queue.Withdraw(c));
        Assert.False(_queue.Withdraw(c));
        Assert.Equal(0, _queue.EstimatedTokens);
    }

    [Fact]
    public void An_instance_that_starts_serving_takes_the_head_of_the_queue_up_to_its_seats()
    {
        Serving(0);
        Loading(1);
        _router.SetSeats(0, Seats with { MaxRequests = 1 });
        _router.SetSeats(1, Seats with { MaxRequests = 2 });
        _router.Route(10);
        var ids = Enumerable.Range(0, 4).Select(_ => _queue.Enqueue(10)).ToList();
        Assert.Empty(_queue.Dispatch(_router));

        _model.LayersLanded(1, Layers);
        _model.FinishLoading(1);
        var routed = _queue.Dispatch(_router);

        Assert.Equal(ids.Take(2), routed.Select(r => r.Id));
        Assert.All(routed, r => Assert.Equal(1, r.Ticket.Instance));
        Assert.Equal(2, _queue.Count);
    }

    [Fact]
    public void A_resumed_request_goes_ahead_of_those_waiting()
    {
        Serving(0);
        _router.SetSeats(0, Seats with { MaxRequests = 1 });
        var open = _router.Route(10).Ticket!.Value;
        long waiting = _queue.Enqueue(10);
        long resumed = _queue.Enqueue(10, ahead: true);

        _router.Release(open);

        Assert.Equal([resumed], _queue.Dispatch(_router).Select(r => r.Id));
        Assert.Equal(1, _queue.Count);
        Assert.True(_queue.Withdraw(waiting));
    }

    [Fact]
    public void Seeded_random_walks_never_lose_a_request_route_one_twice_or_pass_the_seats()
    {
        for (int seed = 0; seed < 50; seed++)
        {
            var model = new ModelInstances(new FakeTimeProvider());
            var router = new RequestRouter(model);
            var queue = new RouteQueue();
            var random = new Random(seed);
            var seats = new Dictionary<int, InstanceSeats>();
            for (int i = 0; i < 3; i++)
            {
                model.AddServing(i, Layers);
                seats[i] = new InstanceSeats(random.Next(1, 20), 16, random.Next(1, 5));
                router.SetSeats(i, seats[i]);
            }
            var open = new List<RouteTicket>();
            var waiting = new List<long>();
            var routedIds = new HashSet<long>();
            int arrived = 0, done = 0;
            for (int step = 0; step < 300; step++)
            {
                if (random.Next(3) > 0)
                {
                    arrived++;
                    long tokens = random.Next(1, 200);
                    if (waiting.Count == 0 && router.Route(tokens) is { Ticket: { } ticket }) open.Add(ticket);
                    else waiting.Add(queue.Enqueue(tokens));
                }
                else if (open.Count > 0)
                {
                    int n = random.Next(open.Count);
                    router.Release(open[n]);
                    open.RemoveAt(n);
                    done++;
                }
                foreach (var (id, ticket) in queue.Dispatch(router))
                {
                    Assert.True(routedIds.Add(id), $"seed {seed}: waiting request {id} routed twice");
                    Assert.Equal(waiting[0], id);
                    waiting.RemoveAt(0);
                    open.Add(ticket);
                }
                for (int i = 0; i < 3; i++)
                {
                    // At most one request beyond the free blocks, and never more than the running limit.
                    Assert.True(router.OpenRequests(i) <= seats[i].MaxRequests, $"seed {seed}: instance {i} over its running limit");
                    Assert.True(router.ReservedBlocks(i) < seats[i].KvBlocks + seats[i].BlocksFor(200), $"seed {seed}: instance {i} over its blocks");
                }
                Assert.Equal(arrived, done + open.Count + waiting.Count);
                Assert.Equal(waiting.Count, queue.Count);
            }
        }
    }
}
