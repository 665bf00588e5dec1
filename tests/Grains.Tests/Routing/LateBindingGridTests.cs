using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Tests.Reliability;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests.Routing;

/// <summary>
/// Late binding in the grid: an instance with one seat (2 KV blocks of 16 positions; each request reserves 2) takes one
/// request at a time; the next waits at the model grain and goes to the first instance with a free seat — one loaded after
/// the request arrived included — where without late binding it waits in the busy instance's queue. Streams are paused after
/// three tokens, so the seat stays taken for as long as the test needs.
/// </summary>
public sealed class LateBindingGridTests(GridFixture grid, ITestOutputHelper output) : IClassFixture<GridFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private static readonly int[] Prompt = [1, 17, 42, 99, 7, 301];
    private const int MaxTokens = 20;

    private static GenerateRequest Request() => new() { PromptIds = Prompt, MaxTokens = MaxTokens, StopAtEos = false };

    private Task<ModelStatus> Deploy(string model, bool lateBinding) => grid.Model(model).Deploy(new DeployRequest
    {
        ModelDirectory = grid.SyntheticModel, Instances = 1, Gpus = [$"{GridFixture.HostA}/gpu0"], KvBlocks = 2, LateBinding = lateBinding,
    });

    [Fact]
    public async Task A_request_waits_at_the_model_for_a_seat_and_takes_one_on_an_instance_loaded_after_it_arrived()
    {
        const string model = "late";
        await Deploy(model, lateBinding: true);
        var gate = new TaskCompletionSource();
        var first = new PausedStream(grid.Client.GenerateAsync(model, Request()), gate.Task);
        await first.Started.WaitAsync(Limit);

        var second = new PausedStream(grid.Client.GenerateAsync(model, Request()), gate.Task);
        var waiting = await StatusPoll.WaitFor(grid.Model(model), s => s.QueueLength >= 1 ? s : null, "the second request never waited");
        Assert.Equal(1, waiting.QueueLength);
        Assert.Equal(0, waiting.Instances.Single().Waiting);
        Assert.False(second.Started.IsCompleted, "the second request started while the only seat was taken");

        var scaled = await grid.Model(model).Scale(new ScaleRequest { Instances = 2, Gpus = [$"{GridFixture.HostB}/gpu0"] });
        string added = scaled.Instances.Single(i => i.Gpu == $"{GridFixture.HostB}/gpu0").Shard;
        await second.Started.WaitAsync(Limit);
        output.WriteLine($"first on {first.Instance}, second on {second.Instance}");
        Assert.Equal(added, second.Instance);
        Assert.Equal(0, ShardKey.Parse(first.Instance).Instance);

        gate.SetResult();
        var outputs = await Task.WhenAll(first.Done, second.Done).WaitAsync(Limit);
        Assert.Equal(outputs[0].Tokens, outputs[1].Tokens);
        Assert.Equal(MaxTokens, outputs[1].Tokens.Count);
        await grid.Model(model).Undeploy().WaitAsync(Limit);
    }

    // One instance with seats for many requests but a step budget of 3 tokens: it holds 4 × 3 = 12 tokens of unstarted
    // prompt, two requests' (and always two, one being prefilled and one at hand); a third waits at the model.
    private Task<ModelStatus> DeployPrefillBound(string model) => grid.Model(model).Deploy(new DeployRequest
    {
        ModelDirectory = grid.SyntheticModel, Instances = 1, Gpus = [$"{GridFixture.HostA}/gpu0"], KvBlocks = 32, MaxBatchTokens = 3, LateBinding = true,
    });

    [Fact]
    public async Task A_route_beyond_the_unstarted_prompt_bound_waits_until_a_first_token_is_told()
    {
        const string model = "late-prefill";
        await DeployPrefillBound(model);
        var router = grid.Model(model);
        var first = await router.Route(Prompt.Length + MaxTokens, Prompt.Length);
        var second = await router.Route(Prompt.Length + MaxTokens, Prompt.Length);
        Assert.True(first.ReportsStart);

        var routed = await RoutedOnlyAfter(router, () => router.Started(first.Ticket), "two unstarted prompts fill the bound");

        Assert.Equal(first.Shard, routed.Shard);
        foreach (var ticket in new[] { first, second, routed }) await router.Release(ticket.Ticket);
        await router.Undeploy().WaitAsync(Limit);
    }

    [Fact]
    public async Task A_caller_tells_the_first_token_so_the_next_request_starts_while_the_first_ones_still_run()
    {
        const string model = "late-prefill-stream";
        await DeployPrefillBound(model);
        var gate = new TaskCompletionSource();
        var first = new PausedStream(grid.Client.GenerateAsync(model, Request()), gate.Task);
        var second = new PausedStream(grid.Client.GenerateAsync(model, Request()), gate.Task);
        await Task.WhenAll(first.Started, second.Started).WaitAsync(Limit);

        // Both tickets stay open (their callers read no further), yet their prompts no longer count.
        var third = new PausedStream(grid.Client.GenerateAsync(model, Request()), gate.Task);
        await third.Started.WaitAsync(Limit);
        Assert.False(first.Done.IsCompleted || second.Done.IsCompleted);

        gate.SetResult();
        var outputs = await Task.WhenAll(first.Done, second.Done, third.Done).WaitAsync(Limit);
        Assert.All(outputs, o => Assert.Equal(outputs[0].Tokens, o.Tokens));
        Assert.Equal(MaxTokens, outputs[2].Tokens.Count);
        await grid.Model(model).Undeploy().WaitAsync(Limit);
    }

    [Fact]
    public async Task Without_late_binding_every_request_is_routed_on_arrival_to_the_busy_instance()
    {
        const string model = "early";
        await Deploy(model, lateBinding: false);
        var router = grid.Model(model);

        var tickets = new[] { await router.Route(Prompt.Length + MaxTokens, Prompt.Length), await router.Route(Prompt.Length + MaxTokens, Prompt.Length), await router.Route(Prompt.Length + MaxTokens, Prompt.Length) };

        Assert.All(tickets, t => Assert.Equal(0, ShardKey.Parse(t.Shard).Instance));
        // Nothing counts prompts on an instance without seats: the caller need not tell its first token.
        Assert.All(tickets, t => Assert.False(t.ReportsStart));
        foreach (var ticket in tickets) await router.Release(ticket.Ticket);
        await router.Undeploy().WaitAsync(Limit);
    }

    [Fact]
    public async Task With_late_binding_a_route_beyond_the_seats_waits_until_a_ticket_comes_back()
    {
        const string model = "late-release";
        await Deploy(model, lateBinding: true);
        var router = grid.Model(model);
        var first = await router.Route(Prompt.Length + MaxTokens, Prompt.Length);

        var routed = await RoutedOnlyAfter(router, () => router.Release(first.Ticket), "the only seat is taken");

        Assert.Equal(first.Shard, routed.Shard);
        await router.Release(routed.Ticket);
        await router.Undeploy().WaitAsync(Limit);
    }

    [Fact]
    public async Task A_seat_held_by_a_route_nobody_uses_goes_to_the_waiting_request_within_seconds()
    {
        const string model = "late-stray";
        await Deploy(model, lateBinding: true);
        // A client that asked where to go and died: its ticket counts on the only seat, and nothing will hand it back.
        await grid.Model(model).Route(Prompt.Length + MaxTokens, Prompt.Length);

        var started = DateTime.UtcNow;
        var tokens = new List<int>();
        await foreach (var update in grid.Client.GenerateAsync(model, Request()).WithCancellation(new CancellationTokenSource(Limit).Token))
        {
            if (update.TokenId >= 0) tokens.Add(update.TokenId);
        }
        output.WriteLine($"served after {(DateTime.UtcNow - started).TotalSeconds:F1} s");
        Assert.Equal(MaxTokens, tokens.Count);
        // It had to wait for the check: the stray ticket is at least 2 s old before it is dropped.
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1.5), "the request did not wait for the stray seat");
        await grid.Model(model).Undeploy().WaitAsync(Limit);
    }

    [Fact]
    public async Task The_model_grain_says_it_holds_a_waiting_route_by_its_name_until_it_answers_it()
    {
        const string model = "late-holds";
        await Deploy(model, lateBinding: true);
        var router = grid.Model(model);
        var first = await router.Route(Prompt.Length + MaxTokens, Prompt.Length);
        var wait = Guid.NewGuid();

        var second = await RoutedOnlyAfter(router, async () =>
        {
            Assert.True(await router.Holds(wait));
            Assert.False(await router.Holds(Guid.NewGuid()));
            await router.Release(first.Ticket);
        }, "the only seat is taken", wait);

        Assert.False(await router.Holds(wait));
        await router.Release(second.Ticket);
        await router.Undeploy().WaitAsync(Limit);
    }

    // Routes one more request (its call named `wait`), checks that it waits at the model while `full` holds, makes room with
    // `makeRoom`, and returns where the request went.
    private static async Task<RouteDecision> RoutedOnlyAfter(IModelGrain router, Func<Task> makeRoom, string full, Guid wait = default)
    {
        var pending = router.Route(Prompt.Length + MaxTokens, Prompt.Length, wait);
        await StatusPoll.WaitFor(router, s => s.QueueLength >= 1 ? s : null, $"the route never waited ({full})");
        Assert.False(pending.IsCompleted, $"the route was answered while {full}");
        await makeRoom();
        return await pending.WaitAsync(Limit);
    }
}
