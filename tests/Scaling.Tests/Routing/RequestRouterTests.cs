using BlitzScale.Scaling.Instances;
using BlitzScale.Scaling.Routing;
using Microsoft.Extensions.Time.Testing;
using static BlitzScale.Scaling.Instances.InstanceState;

namespace BlitzScale.Scaling.Tests.Routing;

/// <summary>The router: least outstanding tokens among the instances that take requests, tickets, and why not.</summary>
public sealed class RequestRouterTests
{
    private const int Layers = 4;
    private readonly ModelInstances _model = new(new FakeTimeProvider());
    private readonly RequestRouter _router;

    public RequestRouterTests() => _router = new RequestRouter(_model);

    private void Add(int index, InstanceState state)
    {
        _model.Add(index, $"m/{index}/0", $"h0/gpu{index}", "h0", Layers);
        if (state == Inactive) return;
        _model.StartLoading(index);
        if (state == Loading) return;
        _model.LayersLanded(index, Layers);
        _model.FinishLoading(index);
        if (state == InstanceState.Serving) return;
        if (state == Failed) { _model.Fail(index, "out of memory"); return; }
        _model.Drain(index);
        if (state == Warm) _model.Drained(index);
    }

    private RouteTicket RouteOk(long tokens)
    {
        var result = _router.Route(tokens);
        Assert.True(result.Routed, result.NoInstance?.Reason);
        return result.Ticket!.Value;
    }

    [Fact]
    public void The_instance_with_the_least_outstanding_tokens_gets_the_request_and_ties_go_to_the_lowest_index()
    {
        Add(2, InstanceState.Serving);
        Add(0, InstanceState.Serving);
        Add(1, InstanceState.Serving);

        Assert.Equal(0, RouteOk(100).Instance);
        Assert.Equal(1, RouteOk(50).Instance);
        Assert.Equal(2, RouteOk(70).Instance);
        Assert.Equal(1, RouteOk(10).Instance); // 1 owes 50, 2 owes 70, 0 owes 100
        Assert.Equal((100, 60, 70), (_router.Outstanding(0), _router.Outstanding(1), _router.Outstanding(2)));
        Assert.Equal(2, _router.OpenRequests(1));
    }

    [Theory]
    [InlineData(Inactive)]
    [InlineData(Loading)]
    [InlineData(Draining)]
    [InlineData(Warm)]
    [InlineData(Failed)]
    public void An_instance_that_takes_no_requests_gets_none(InstanceState state)
    {
        Add(0, state);
        Add(1, InstanceState.Serving);
        var busy = RouteOk(1_000);
        Assert.Equal(1, busy.Instance);

        Assert.Equal(1, RouteOk(1).Instance);
    }

    [Fact]
    public void A_live_pair_takes_requests_but_a_loading_instance_with_no_layer_and_no_partner_takes_none()
    {
        Add(0, InstanceState.Serving);
        Add(1, Loading);
        Add(2, Loading);
        _model.LayersLanded(1, 1);
        _model.Pair(1, 0);

        var first = RouteOk(10);
        var second = RouteOk(10);
        var third = RouteOk(10);

        Assert.Equal([0, 1, 0], new[] { first.Instance, second.Instance, third.Instance });
        Assert.Equal(0, _router.Outstanding(2));
    }

    [Fact]
    public void With_no_instance_taking_requests_the_answer_says_why_with_counts_per_state()
    {
        Add(0, Loading);
        Add(1, Warm);
        Add(2, Failed);

        var result = _router.Route(10);

        Assert.False(result.Routed);
        Assert.Null(result.Ticket);
        var why = result.NoInstance!;
        Assert.Equal(1, why.Counts[Loading]);
        Assert.Equal(1, why.Counts[Warm]);
        Assert.Equal(1, why.Counts[Failed]);
        Assert.Equal(0, why.Counts[InstanceState.Serving]);
        Assert.Equal("no instance takes requests (1 Loading, 1 Warm, 1 Failed: m/2/0: out of memory)", why.Reason);
    }

    [Fact]
    public void A_model_with_no_instances_says_so()
    {
        var result = _router.Route(10);

        Assert.Equal("no instance takes requests (there are no instances)", result.NoInstance!.Reason);
    }

    [Fact]
    public void Produced_tokens_are_no_longer_owed_and_release_returns_the_rest()
    {
        Add(0, InstanceState.Serving);
        var ticket = RouteOk(10);

        Assert.Equal(7, _router.Consume(ticket, 3));
        Assert.Equal(7, _router.Outstanding(0));
        Assert.Equal(0, _router.Consume(ticket, 50)); // more than estimated: the request owes nothing, never less
        Assert.Equal(0, _router.Outstanding(0));
        Assert.Equal(1, _router.OpenRequests(0));
        Assert.Equal(0, _router.Release(ticket));
        Assert.Equal(0, _router.OpenRequests(0));
    }

    [Fact]
    public void Releasing_twice_or_an_unknown_ticket_is_harmless()
    {
        Add(0, InstanceState.Serving);
        var kept = RouteOk(5);
        var ticket = RouteOk(10);

        Assert.Equal(10, _router.Release(ticket));
        Assert.Equal(0, _router.Release(ticket));
        Assert.Equal(0, _router.Release(new RouteTicket(999, 0, 100)));
        Assert.Equal(0, _router.Consume(ticket, 1));
        Assert.Equal(5, _router.Outstanding(0));
        Assert.Equal(5, _router.Release(kept));
    }

    [Fact]
    public void Dropping_an_instance_drops_its_tickets_and_their_later_release_changes_nothing()
    {
        Add(0, InstanceState.Serving);
        Add(1, InstanceState.Serving);
        var onZero = RouteOk(10);
        var onOne = RouteOk(20);

        Assert.Equal(1, _router.DropInstance(0));
        Assert.Equal(0, _router.Outstanding(0));
        Assert.Equal(0, _router.Release(onZero));
        Assert.Equal(20, _router.Outstanding(1));
        Assert.Equal(20, _router.Release(onOne));
    }

    [Fact]
    public void A_draining_instance_is_drained_once_its_last_request_is_released()
    {
        Add(0, InstanceState.Serving);
        Add(1, InstanceState.Serving);
        var ticket = RouteOk(10);
        _model.Drain(0);

        Assert.Empty(_router.Drained());
        Assert.Equal(1, RouteOk(10).Instance); // it takes no new requests meanwhile
        _router.Release(ticket);
        Assert.Equal([0], _router.Drained());
    }

    [Fact]
    public void Ticket_ids_are_unique_and_count_from_one()
    {
        Add(0, InstanceState.Serving);

        Assert.Equal([1L, 2L, 3L], Enumerable.Range(0, 3).Select(_ => RouteOk(1).Id));
    }

    [Fact]
    public void A_negative_estimate_is_a_programming_error()
    {
        Add(0, InstanceState.Serving);
        Assert.Throws<ArgumentOutOfRangeException>(() => _router.Route(-1));
    }

    [Fact]
    public void Outstanding_is_never_negative_and_every_released_ticket_returns_its_instance_to_zero()
    {
        for (int seed = 0; seed < 100; seed++)
        {
            var random = new Random(seed);
            var model = new ModelInstances(new FakeTimeProvider());
            var router = new RequestRouter(model);
            for (int i = 0; i < 4; i++)
            {
                model.AddServing(i, 1);
            }
            var open = new List<RouteTicket>();
            for (int step = 0; step < 300; step++)
            {
                switch (random.Next(6))
                {
                    case 0 or 1:
                        var result = router.Route(random.Next(0, 200));
                        if (result.Routed) open.Add(result.Ticket!.Value);
                        else Assert.True(model.TakingRequests.Count == 0);
                        break;
                    case 2 when open.Count > 0:
                        router.Consume(open[random.Next(open.Count)], random.Next(0, 60));
                        break;
                    case 3 when open.Count > 0:
                        var ticket = open[random.Next(open.Count)];
                        router.Release(ticket);
                        if (random.Next(3) > 0) open.Remove(ticket); // sometimes released again later
                        break;
                    case 4:
                        int index = random.Next(4);
                        if (model.Find(index)!.State == InstanceState.Serving) model.Drain(index);
                        else model.Revive(index);
                        break;
                    default:
                        // The chosen instance must hold the least among the takers (checked before it is charged).
                        var takers = model.TakingRequests;
                        if (takers.Count == 0) break;
                        long least = takers.Min(t => router.Outstanding(t.Index));
                        var chosen = router.Route(0).Ticket!.Value;
                        open.Add(chosen);
                        Assert.Equal(least, router.Outstanding(chosen.Instance));
                        Assert.Equal(takers.First(t => router.Outstanding(t.Index) == least).Index, chosen.Instance);
                        break;
                }
                for (int i = 0; i < 4; i++) Assert.True(router.Outstanding(i) >= 0);
            }
            foreach (var ticket in open) router.Release(ticket);
            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(0, router.Outstanding(i));
                Assert.Equal(0, router.OpenRequests(i));
            }
        }
    }

    [Fact]
    public void A_handed_over_request_owes_its_tokens_to_the_partner_from_then_on()
    {
        Add(0, InstanceState.Serving);
        Add(1, InstanceState.Serving);
        var a = RouteOk(100);
        var b = RouteOk(60);
        var c = RouteOk(30);
        Assert.Equal((0, 1, 1), (a.Instance, b.Instance, c.Instance));
        _router.Consume(a, 40);

        Assert.True(_router.Move(a.Id, 1));
        Assert.Equal((0L, 0, 150L, 3), (_router.Outstanding(0), _router.OpenRequests(0), _router.Outstanding(1), _router.OpenRequests(1)));
        Assert.Equal(0, RouteOk(10).Instance);
        Assert.True(_router.Move(b.Id, 1)); // already there: nothing changes
        Assert.Equal((150L, 3), (_router.Outstanding(1), _router.OpenRequests(1)));

        Assert.Equal(60, _router.Release(a));
        Assert.Equal((90L, 2), (_router.Outstanding(1), _router.OpenRequests(1)));
        Assert.False(_router.Move(a.Id, 0));
        Assert.False(_router.Move(999, 0));
        Assert.Equal((10L, 1), (_router.Outstanding(0), _router.OpenRequests(0)));
    }
}
