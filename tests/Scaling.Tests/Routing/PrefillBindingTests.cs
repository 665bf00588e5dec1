using BlitzScale.Scaling.Instances;
using BlitzScale.Scaling.Routing;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Scaling.Tests.Routing;

/// <summary>
/// Late binding by prefill: an instance whose seats bound its prefill takes a request only while the prompts of its
/// requests without a first token are fewer than the bound; the rest wait at the model, in order, for whichever instance
/// starts its prompts first.
/// </summary>
public sealed class PrefillBindingTests
{
    private const int Layers = 4;
    // Room for 16 requests of up to 1024 positions; 1024 tokens of unstarted prompt.
    private static readonly InstanceSeats Seats = new(KvBlocks: 1024, BlockSize: 16, MaxRequests: 16, PrefillTokens: 1024);
    private readonly ModelInstances _model = new(new FakeTimeProvider());
    private readonly RequestRouter _router;
    private readonly RouteQueue _queue = new();

    public PrefillBindingTests() => _router = new RequestRouter(_model);

    private void Serving(int index)
    {
        _model.AddServing(index, Layers);
        _router.SetSeats(index, Seats);
    }

    [Fact]
    public void The_bound_is_a_few_step_budgets_of_prompt()
    {
        Assert.Equal(InstanceSeats.PrefillStepsAhead * 512L, InstanceSeats.ForBudget(kvBlocks: 1024, blockSize: 16, maxRequests: 16, maxBatchTokens: 512).PrefillTokens);
        Assert.True(Seats.BoundsPrefill);
        Assert.False(new InstanceSeats(10, 16, 3).BoundsPrefill);
        Assert.Throws<ArgumentOutOfRangeException>(() => new InstanceSeats(10, 16, 3, PrefillTokens: 0).Validate());
    }

    [Fact]
    public void An_instance_takes_requests_while_its_unstarted_prompts_are_under_the_bound_and_a_first_token_makes_room()
    {
        Serving(0);

        var routed = Enumerable.Range(0, 3).Select(_ => _router.Route(600, promptTokens: 500)).ToList();
        var fourth = _router.Route(600, promptTokens: 500);

        // 500 and 1000 are under 1024: the third is taken, and then 1500 is not.
        Assert.All(routed, r => Assert.True(r.Routed));
        Assert.True(fourth.Full);
        Assert.Equal(1500, _router.UnstartedPromptTokens(0));
        Assert.Equal(3, _router.OpenRequests(0));

        Assert.True(_router.Started(routed[0].Ticket!.Value.Id));
        Assert.Equal(1000, _router.UnstartedPromptTokens(0));
        Assert.True(_router.Route(600, promptTokens: 500).Routed);
    }

    [Fact]
    public void Two_requests_go_whatever_their_prompts_one_being_prefilled_and_one_at_hand_and_a_third_only_under_the_bound()
    {
        Serving(0);

        var longest = _router.Route(5000, promptTokens: 4000);
        var atHand = _router.Route(20, promptTokens: 10);
        var third = _router.Route(20, promptTokens: 10);

        Assert.True(longest.Routed);
        Assert.True(atHand.Routed);
        Assert.True(third.Full);
        _router.Started(longest.Ticket!.Value.Id);
        Assert.True(_router.Route(20, promptTokens: 10).Routed);
    }

    [Fact]
    public void Started_counts_once_and_not_for_a_released_or_unknown_ticket()
    {
        Serving(0);
        var ticket = _router.Route(600, promptTokens: 500).Ticket!.Value;
        var other = _router.Route(600, promptTokens: 300).Ticket!.Value;

        Assert.True(_router.Started(ticket.Id));
        Assert.False(_router.Started(ticket.Id));
        Assert.False(_router.Started(12345));
        Assert.Equal(300, _router.UnstartedPromptTokens(0));
        _router.Release(other);
        Assert.False(_router.Started(other.Id));
        Assert.Equal(0, _router.UnstartedPromptTokens(0));
    }

    [Fact]
    public void A_request_handed_to_the_partner_takes_its_unstarted_prompt_along_and_a_started_one_takes_none()
    {
        Serving(0);
        Serving(1);
        var unstarted = _router.Route(600, promptTokens: 500).Ticket!.Value;
        var started = _router.Route(600, promptTokens: 400).Ticket!.Value;
        _router.Started(started.Id);

        Assert.True(_router.Move(unstarted.Id, unstarted.Instance == 0 ? 1 : 0));
        Assert.True(_router.Move(started.Id, unstarted.Instance));

        Assert.Equal(500, _router.UnstartedPromptTokens(unstarted.Instance == 0 ? 1 : 0));
        Assert.Equal(0, _router.UnstartedPromptTokens(unstarted.Instance));
    }

    [Fact]
    public void Waiting_requests_go_in_order_to_whichever_instance_makes_room_first()
    {
        // Each prompt alone is over the bound of 1024: an instance holds two unstarted, one being prefilled and one at hand.
        Serving(0);
        var first = _router.Route(1200, promptTokens: 1100).Ticket!.Value;
        Assert.True(_router.Route(1200, promptTokens: 1100).Routed);
        long a = _queue.Enqueue(1200, promptTokens: 1100);
        long b = _queue.Enqueue(1200, promptTokens: 1100);
        long c = _queue.Enqueue(1200, promptTokens: 1100);
        Assert.Equal(3300, _queue.PromptTokens);
        Assert.Empty(_queue.Dispatch(_router));

        // A second instance starts serving: it takes the two at the head, then it is full too.
        Serving(1);
        var toSecond = _queue.Dispatch(_router);
        Assert.Equal([(a, 1), (b, 1)], toSecond.Select(r => (r.Id, r.Ticket.Instance)));

        // The first instance's first request has its first token: the next in line goes there.
        _router.Started(first.Id);
        var toFirst = _queue.Dispatch(_router);
        Assert.Equal([(c, 0)], toFirst.Select(r => (r.Id, r.Ticket.Instance)));
        Assert.Equal(0, _queue.PromptTokens);
        long d = _queue.Enqueue(1200, promptTokens: 1100);
        Assert.True(_queue.Withdraw(d));
        Assert.Equal(0, _queue.PromptTokens);
    }

    [Fact]
    public void Seeded_random_walks_never_lose_a_request_nor_hold_more_than_the_bound_and_one_prompt_unstarted()
    {
        for (int seed = 0; seed < 50; seed++)
        {
            var model = new ModelInstances(new FakeTimeProvider());
            var router = new RequestRouter(model);
            var queue = new RouteQueue();
            var random = new Random(seed);
            for (int i = 0; i < 3; i++)
            {
                model.AddServing(i, Layers);
                router.SetSeats(i, InstanceSeats.ForBudget(random.Next(50, 500), 16, random.Next(2, 16), random.Next(100, 1000)));
            }
            var unstarted = new List<RouteTicket>();
            var started = new List<RouteTicket>();
            var waiting = new List<long>();
            // Each ticket's prompt, and each waiting request's.
            var prompts = new Dictionary<long, long>();
            var waitingPrompts = new Dictionary<long, long>();
            int arrived = 0, done = 0;
            for (int step = 0; step < 400; step++)
            {
                int move = random.Next(4);
                if (move < 2)
                {
                    arrived++;
                    long prompt = random.Next(1, 1500);
                    long tokens = prompt + random.Next(1, 100);
                    if (waiting.Count == 0 && router.Route(tokens, prompt) is { Ticket: { } ticket })
                    {
                        unstarted.Add(ticket);
                        prompts[ticket.Id] = prompt;
                    }
                    else
                    {
                        long id = queue.Enqueue(tokens, prompt);
                        waiting.Add(id);
                        waitingPrompts[id] = prompt;
                    }
                }
                else if (move == 2 && unstarted.Count > 0)
                {
                    int n = random.Next(unstarted.Count);
                    Assert.True(router.Started(unstarted[n].Id), $"seed {seed}: an unstarted ticket did not start");
                    started.Add(unstarted[n]);
                    unstarted.RemoveAt(n);
                }
                else if (move == 3 && started.Count > 0)
                {
                    int n = random.Next(started.Count);
                    router.Release(started[n]);
                    started.RemoveAt(n);
                    done++;
                }
                foreach (var (id, ticket) in queue.Dispatch(router))
                {
                    Assert.Equal(waiting[0], id);
                    waiting.RemoveAt(0);
                    unstarted.Add(ticket);
                    prompts[ticket.Id] = waitingPrompts[id];
                }
                for (int i = 0; i < 3; i++)
                {
                    var mine = unstarted.Where(t => t.Instance == i).ToList();
                    long expected = mine.Sum(t => prompts[t.Id]);
                    Assert.Equal(expected, router.UnstartedPromptTokens(i));
                    // Routed only while under the bound (so at most the bound and the last prompt taken, < 1500) or while fewer than two wait.
                    Assert.True(mine.Count <= RequestRouter.UnstartedAlways || expected < router.Seats(i)!.Value.PrefillTokens + 1500,
                        $"seed {seed}: instance {i} holds {mine.Count} unstarted requests of {expected} tokens");
                }
                Assert.Equal(arrived, done + unstarted.Count + started.Count + waiting.Count);
                Assert.Equal(waiting.Count, queue.Count);
                Assert.Equal(waiting.Sum(id => waitingPrompts[id]), queue.PromptTokens);
            }
        }
    }
}
