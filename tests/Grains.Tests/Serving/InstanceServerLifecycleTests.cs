using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Grains.Serving;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>Cancellation, rejection, engine failures and disposal: the KV blocks always come back.</summary>
public sealed class InstanceServerLifecycleTests(ServingModelFixture models) : IClassFixture<ServingModelFixture>, IDisposable
{
    // Far more than the tests read: a request that runs to the end was not cancelled.
    private const int Endless = 1000;

    private readonly List<CpuEngine> _engines = [];

    private static ServingRequest Long(string id) => new(id, [1, 300, 301], Endless, SamplingOptions.Greedy, StopAtEos: false);

    public void Dispose()
    {
        foreach (var engine in _engines) engine.Dispose();
    }

    // A cpu engine with its own KV store, freed when the test ends.
    private CpuEngine Cpu(int kvBlocks = 128)
    {
        var engine = models.Engine(kvBlocks);
        _engines.Add(engine);
        return engine;
    }

    private InstanceServer Server(DeviceExecutor device, int kvBlocks = 128, ILayerEngine? engine = null)
    {
        engine ??= Cpu(kvBlocks);
        return new(engine, new BatchPolicy { KvBlocks = engine.KvShape.Blocks }, device, models.EosId);
    }

    [Fact]
    public async Task Cancelling_mid_stream_throws_and_frees_the_kv_blocks()
    {
        // Held at step 4 until cancelled, so the request is surely mid-stream, holding its blocks.
        var engine = new TestEngine(Cpu()) { HoldAfterSteps = 3 };
        using var device = new DeviceExecutor("life-cancel");
        await using var server = Server(device, engine: engine);
        using var cancellation = new CancellationTokenSource();
        var received = new List<ServedToken>();
        int reserved = -1;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var token in server.GenerateAsync(Long("c"), cancellation.Token))
            {
                if (received.Count == 0) reserved = server.Stats.KvBlocksUsed;
                received.Add(token);
                if (received.Count == 3)
                {
                    cancellation.Cancel();
                    engine.Resume();
                }
            }
        });

        Assert.Equal((Endless + 3 + 15) / 16, reserved);
        Assert.Equal([0, 1, 2], received.Select(t => t.Index));
        var stats = server.Stats;
        Assert.Equal((0, 0, 0), (stats.KvBlocksUsed, stats.Running, stats.Waiting));
        // Cut short: a step may finish between the cancellation and the request leaving, but no more than a few.
        Assert.InRange(stats.TokensGenerated, 3, Endless - 1);

        // The instance goes on serving.
        var (ids, finish) = await ServingModelFixture.Collect(server.GenerateAsync(new ServingRequest("after", [1, 5], 4, SamplingOptions.Greedy, false)));
        Assert.Equal((4, ServingFinishReason.Length), (ids.Length, finish));
    }

    [Fact]
    public async Task Leaving_the_enumeration_early_frees_the_kv_blocks()
    {
        var engine = new TestEngine(Cpu()) { HoldAfterSteps = 2 };
        using var device = new DeviceExecutor("life-break");
        await using var server = Server(device, engine: engine);
        int seen = 0;
        await foreach (var token in server.GenerateAsync(Long("b")))
        {
            Assert.Equal(seen, token.Index);
            if (++seen == 2)
            {
                Assert.Equal(1, server.Stats.Running);
                engine.Resume();
                break;
            }
        }

        var stats = server.Stats;
        Assert.Equal((0, 0), (stats.KvBlocksUsed, stats.Running));
        Assert.InRange(stats.TokensGenerated, 2, Endless - 1);
    }

    [Fact]
    public async Task A_request_that_can_never_fit_is_rejected_while_a_good_one_completes()
    {
        using var device = new DeviceExecutor("life-reject");
        await using var server = Server(device, kvBlocks: 4);
        var good = ServingModelFixture.Collect(server.GenerateAsync(new ServingRequest("good", [1, 5, 6], 8, SamplingOptions.Greedy, false)));

        await using var big = server.GenerateAsync(new ServingRequest("big", Enumerable.Repeat(7, 60).ToArray(), 10, SamplingOptions.Greedy)).GetAsyncEnumerator();
        var error = await Assert.ThrowsAsync<RequestRejectedException>(async () => await big.MoveNextAsync());
        Assert.Equal(AdmitStatus.ExceedsKvCache, error.Reason);
        Assert.Contains("needs 5 KV blocks of 16 positions, the instance has 4", error.Message);

        var (ids, finish) = await good;
        Assert.Equal((8, ServingFinishReason.Length), (ids.Length, finish));
        Assert.Equal(0, server.Stats.KvBlocksUsed);
    }

    [Fact]
    public async Task Malformed_requests_throw_argument_errors_on_the_first_move()
    {
        using var device = new DeviceExecutor("life-args");
        await using var server = Server(device);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            ServingModelFixture.Collect(server.GenerateAsync(new ServingRequest("vocab", [1, 512], 4, SamplingOptions.Greedy))));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            ServingModelFixture.Collect(server.GenerateAsync(new ServingRequest("empty", [], 4, SamplingOptions.Greedy))));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            ServingModelFixture.Collect(server.GenerateAsync(new ServingRequest("none", [1], 0, SamplingOptions.Greedy))));
        Assert.Equal((0, 0), (server.Stats.Waiting, server.Stats.Running));
    }

    [Fact]
    public async Task An_engine_failure_fails_the_requests_of_that_step_and_the_loop_serves_on()
    {
        const int poison = 499;
        var engine = new TestEngine(Cpu()) { Poison = poison };
        using var device = new DeviceExecutor("life-fail");
        await using var server = Server(device, engine: engine);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ServingModelFixture.Collect(server.GenerateAsync(new ServingRequest("bad", [1, poison], 4, SamplingOptions.Greedy))));
        Assert.Equal("poisoned batch", error.Message);
        Assert.Equal(0, server.Stats.KvBlocksUsed);

        int[] prompt = [1, 300, 301];
        int[] alone = new Generator(models.Model.Engine, models.EosId).Generate(prompt, new GenerationOptions(5, null, false)).OutputIds;
        var (ids, _) = await ServingModelFixture.Collect(server.GenerateAsync(new ServingRequest("good", prompt, 5, SamplingOptions.Greedy, false)));
        Assert.Equal(alone, ids);
    }

    [Fact]
    public void An_engine_missing_layers_is_refused()
    {
        using var device = new DeviceExecutor("life-partial");
        var engine = new TestEngine(Cpu()) { Layers = 1 };
        var error = Assert.Throws<InvalidOperationException>(() => Server(device, engine: engine));
        Assert.Contains("only 1 of 4 layers", error.Message);
    }

    [Fact]
    public void A_policy_that_disagrees_with_the_engines_kv_store_is_refused()
    {
        using var device = new DeviceExecutor("life-kv");
        var engine = Cpu(kvBlocks: 32);
        var error = Assert.Throws<ArgumentException>(() => new InstanceServer(engine, new BatchPolicy { KvBlocks = 64 }, device, models.EosId));
        Assert.Contains("plans 64 KV blocks of 16 positions, but the engine's KV store has 32 blocks of 16", error.Message);
        error = Assert.Throws<ArgumentException>(() => new InstanceServer(engine, new BatchPolicy { KvBlocks = 32, BlockSize = 8 }, device, models.EosId));
        Assert.Contains("plans 32 KV blocks of 8 positions", error.Message);
    }

    [Fact]
    public async Task Disposing_fails_outstanding_requests_and_refuses_new_ones()
    {
        var engine = new TestEngine(Cpu()) { HoldAfterSteps = 1 };
        using var device = new DeviceExecutor("life-dispose");
        var server = Server(device, engine: engine);
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = new ServingRequest("queued", [1, 7], 4, SamplingOptions.Greedy, StopAtEos: false);
        var consumer = Task.Run(async () =>
        {
            await foreach (var _ in server.GenerateAsync(Long("d"))) first.TrySetResult();
        });
        await first.Task;

        // Step 2 is held: disposing waits for it, then ends both the running and a request submitted meanwhile.
        var queued = ServingModelFixture.Collect(server.GenerateAsync(waiting));
        var disposing = server.DisposeAsync();
        engine.Resume();
        await disposing;

        await Assert.ThrowsAsync<ObjectDisposedException>(() => consumer);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued);
        await Assert.ThrowsAsync<ObjectDisposedException>(() =>
            ServingModelFixture.Collect(server.GenerateAsync(new ServingRequest("late", [1], 2, SamplingOptions.Greedy))));
        Assert.Equal((0, 0, 0), (server.Stats.KvBlocksUsed, server.Stats.Running, server.Stats.Waiting));
        await server.DisposeAsync();
    }
}
