using BlitzScale.Grains.Serving;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>Each token says how long its request waited before its first step (vLLM's queue time).</summary>
public sealed class InstanceServerQueueTimeTests(ServingModelFixture models) : IClassFixture<ServingModelFixture>
{
    [Fact]
    public async Task A_request_behind_the_only_seat_waits_until_the_first_one_has_finished()
    {
        // One running sequence at a time: the second request waits in the queue while the first generates.
        var policy = new BatchPolicy { MaxBatchTokens = 48, MaxRunningSequences = 1, KvBlocks = 16 };
        using var device = new DeviceExecutor("queue-time");
        using var engine = models.Engine(policy.KvBlocks);
        await using var server = new InstanceServer(engine, policy, device, eosId: -1);
        // The device is held until both are submitted, so the second arrives before the first's first token.
        using var gate = new ManualResetEventSlim();
        var held = device.RunAsync(() =>
        {
            gate.Wait();
            return true;
        });
        var first = Tokens(server, new ServingRequest("first", [1, 5, 9], 8, SamplingOptions.Greedy, StopAtEos: false));
        var second = Tokens(server, new ServingRequest("second", [1, 6, 10], 8, SamplingOptions.Greedy, StopAtEos: false));
        gate.Set();
        await held;
        var served = await Task.WhenAll(first, second);

        foreach (var tokens in served)
        {
            // One queue time per request, on every token, and never after its first token.
            Assert.Single(tokens.Select(t => t.QueuedMs).Distinct());
            Assert.InRange(tokens[0].QueuedMs, 0, tokens[0].ElapsedMs);
        }
        // The second was first planned after the first's last token: it waited at least the whole generation.
        Assert.True(served[1][0].QueuedMs >= served[0][^1].ElapsedMs - served[0][0].ElapsedMs,
            $"second waited {served[1][0].QueuedMs} ms; the first generated for {served[0][^1].ElapsedMs - served[0][0].ElapsedMs} ms");
    }

    private static async Task<List<ServedToken>> Tokens(InstanceServer server, ServingRequest request)
    {
        var tokens = new List<ServedToken>();
        await foreach (var token in server.GenerateAsync(request)) tokens.Add(token);
        return tokens;
    }
}
