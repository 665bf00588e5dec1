using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Tests.Reliability;
using Orleans.Configuration;

namespace BlitzScale.Grains.Tests.Routing;

/// <summary>A grid whose client gives up on a grain call after <see cref="LongHoldTests.ShortTimeout"/> (Orleans' default is 30 s).</summary>
public sealed class ShortTimeoutGridFixture : GridFixture
{
    protected override void ConfigureClient(IClientBuilder client) =>
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = LongHoldTests.ShortTimeout);
}

/// <summary>
/// A request held at the model grain longer than the client's response timeout keeps its place and its one route call: the
/// route call carries its own timeout, longer than the grain's hold limit (<see cref="RouteHold"/>). Before, the client's
/// call failed at the timeout while the grain still held it, and the client routed again at the back of the queue, leaving
/// the first call waiting there to take a seat nobody would use (bench live on the cpu backend: a queue longer than 30 s).
/// </summary>
public sealed class LongHoldTests(ShortTimeoutGridFixture grid) : IClassFixture<ShortTimeoutGridFixture>
{
    // Below the 2 s after which the model grain may count a quiet instance's seat as stray and free it: a route call that
    // timed out would be made again while the first still waits.
    internal static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    // 6 prompt tokens and 20 out reserve both KV blocks of 16 positions: the instance has one seat.
    private static readonly int[] Prompt = [1, 17, 42, 99, 7, 301];

    [Fact]
    public void The_route_calls_carry_a_response_timeout_past_the_hold_limit()
    {
        foreach (string name in new[] { nameof(IModelGrain.Route), nameof(IModelGrain.Resume) })
        {
            var attribute = typeof(IModelGrain).GetMethod(name)!.GetCustomAttributes(typeof(ResponseTimeoutAttribute), false).Cast<ResponseTimeoutAttribute>().Single();
            Assert.True(attribute.Timeout > RouteHold.Limit, $"{name}: a response timeout of {attribute.Timeout} does not outlast the hold limit {RouteHold.Limit}");
        }
    }

    [Fact]
    public async Task A_request_held_past_the_clients_response_timeout_keeps_its_one_place_and_is_served()
    {
        const string model = "long-hold";
        await grid.Model(model).Deploy(new DeployRequest
        {
            ModelDirectory = grid.SyntheticModel, Instances = 1, Gpus = [$"{GridFixture.HostA}/gpu0"], KvBlocks = 2, LateBinding = true,
        });
        var request = new GenerateRequest { PromptIds = Prompt, MaxTokens = 20, StopAtEos = false };
        var gate = new TaskCompletionSource();
        var first = new PausedStream(grid.Client.GenerateAsync(model, request), gate.Task);
        await first.Started.WaitAsync(Limit);
        var second = new PausedStream(grid.Client.GenerateAsync(model, request), gate.Task);
        await StatusPoll.WaitFor(grid.Model(model), s => s.QueueLength >= 1 ? s : null, "the second request never waited");

        // The hold is the subject: through and past the client's timeout the request waits, once, in its place.
        var until = DateTime.UtcNow + 1.8 * ShortTimeout;
        while (DateTime.UtcNow < until)
        {
            Assert.False(second.Done.IsCompleted, $"the held request ended while it waited: {second.Done.Exception?.GetBaseException().Message}");
            int waiting = (await grid.Model(model).GetStatus()).QueueLength;
            Assert.True(waiting <= 1, $"{waiting} route calls wait for one request");
            await Task.Delay(50);
        }

        gate.SetResult();
        var outputs = await Task.WhenAll(first.Done, second.Done).WaitAsync(Limit);
        Assert.Equal(outputs[0].Tokens, outputs[1].Tokens);
        Assert.Equal(20, outputs[1].Tokens.Count);
        await grid.Model(model).Undeploy().WaitAsync(Limit);
    }
}
