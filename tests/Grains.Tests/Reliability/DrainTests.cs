using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>
/// The synthetic model with a long context, deployed under three names with one instance per host: "drain" (60 s to drain),
/// "cutoff" (0.2 s) and "gone" (60 s, to undeploy). <see cref="NoFault"/> is their greedy generation before any change.
/// </summary>
public sealed class DrainFixture : GridFixture
{
    public const string Drain = "drain";
    public const string Cutoff = "cutoff";
    public const string Gone = "gone";

    public IReadOnlyList<int> NoFault { get; private set; } = [];

    /// <summary>The tokens of <see cref="Seeded"/> before any change.</summary>
    public IReadOnlyList<int> NoFaultSeeded { get; private set; } = [];

    /// <summary>A sampled (not greedy) request with a fixed seed.</summary>
    public static GenerateRequest Seeded() => SiloDeathFixture.Request() with { Temperature = 0.8f, TopP = 0.95f, Seed = 11 };

    protected override async Task OnDeployedAsync()
    {
        string directory = ScratchPath("tiny-long");
        SyntheticModelWriter.Write(directory, SyntheticShapes.Get("tiny") with { MaxPositionEmbeddings = SiloDeathFixture.Context }, DType.F32, SyntheticSeed);
        foreach (var (name, seconds, gpu) in new[] { (Drain, 60.0, "gpu0"), (Cutoff, 0.2, "gpu1"), (Gone, 60.0, "gpu0") })
        {
            await Model(name).Deploy(new DeployRequest
            {
                ModelDirectory = directory, Instances = 2, Gpus = [$"{HostA}/{gpu}", $"{HostB}/{gpu}"], KvBlocks = SiloDeathFixture.Context / 16,
                DrainSeconds = seconds,
            });
            await WaitUntilServing(name);
        }
        NoFault = (await Streamed.Collect(Client.GenerateAsync(Drain, SiloDeathFixture.Request()))).TokenIds;
        NoFaultSeeded = (await Streamed.Collect(Client.GenerateAsync(Drain, Seeded()))).TokenIds;
    }
}

/// <summary>
/// Issue 14: scale-down and undeploy drain. Requests on a stopped instance finish there within the drain time; past it the
/// instance is unloaded and they resume on another instance. Either way each stream is exactly the no-fault one.
/// </summary>
public sealed class DrainTests(DrainFixture grid, ITestOutputHelper output) : IClassFixture<DrainFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Scaling_down_lets_the_stopped_instances_requests_finish_there_and_keeps_it_warm()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var streams = await StartTwo(DrainFixture.Drain, gate.Task);

        var scaled = await grid.Model(DrainFixture.Drain).Scale(new ScaleRequest { Instances = 1 });
        Assert.Equal(InstanceState.Draining, scaled.Instances.Single(i => i.Instance == 1).State);
        gate.SetResult();
        await AssertExact(streams);

        // Its requests ended: the drained instance turned Warm (a cut one would have been unloaded and forgotten).
        var status = await WaitFor(DrainFixture.Drain, s => s.Instances.Any(i => i.Instance == 1 && i.State == InstanceState.Warm));
        Assert.Equal(InstanceState.Serving, status.Instances.Single(i => i.Instance == 0).State);
    }

    [Fact]
    public async Task Requests_still_running_when_the_drain_time_ends_resume_on_another_instance_even_seeded_ones()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Seeded sampling: the resumed sampler continues the seed's sequence after the tokens delivered.
        var streams = await StartTwo(DrainFixture.Cutoff, gate.Task, DrainFixture.Seeded());

        await grid.Model(DrainFixture.Cutoff).Scale(new ScaleRequest { Instances = 1 });
        // The readers hold their streams open past the 0.2 s drain time: the instance is unloaded under one of them.
        var status = await WaitFor(DrainFixture.Cutoff, s => s.Instances.All(i => i.Instance != 1));
        output.WriteLine(string.Join("; ", status.Instances.Select(i => $"{i.Shard} {i.State}")));
        gate.SetResult();
        await AssertExact(streams, grid.NoFaultSeeded);
        // The moved stream says why with its first update after the move: the unloaded instance, named (the server disposed
        // under it, or, once the shard has deactivated, the runtime unable to place it again).
        var moved = Assert.Single(streams, s => s.MovedBecause.Count > 0);
        output.WriteLine($"moved because: {string.Join(" | ", moved.MovedBecause)}");
        Assert.Contains("cutoff/1/0", Assert.Single(moved.MovedBecause), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Undeploy_waits_for_running_requests_before_it_unloads()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var streams = await StartTwo(DrainFixture.Gone, gate.Task);

        var undeploy = grid.Model(DrainFixture.Gone).Undeploy();
        // The model takes no new request while it drains (once it drains: calls may reach the grain in either order).
        await WaitFor(DrainFixture.Gone, s => s.Instances.All(i => i.State == InstanceState.Draining));
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => Streamed.Collect(grid.Client.GenerateAsync(DrainFixture.Gone, SiloDeathFixture.Request())));
        output.WriteLine(refused.Message);
        Assert.False(undeploy.IsCompleted, "undeploy returned while two requests were still streaming");
        gate.SetResult();
        await AssertExact(streams);
        await undeploy.WaitAsync(Limit);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => grid.Model(DrainFixture.Gone).GetStatus());
    }

    // Two requests at once: the router sends them to the two instances.
    private async Task<IReadOnlyList<PausedStream>> StartTwo(string model, Task gate, GenerateRequest? request = null)
    {
        var streams = Enumerable.Range(0, 2).Select(_ => new PausedStream(grid.Client.GenerateAsync(model, request ?? SiloDeathFixture.Request()), gate)).ToList();
        await Task.WhenAll(streams.Select(s => s.Started)).WaitAsync(Limit);
        Assert.Equal(2, streams.Select(s => s.Instance).Distinct().Count());
        return streams;
    }

    private async Task AssertExact(IReadOnlyList<PausedStream> streams, IReadOnlyList<int>? expected = null)
    {
        expected ??= grid.NoFault;
        foreach (var (tokens, indices) in await Task.WhenAll(streams.Select(s => s.Done)).WaitAsync(Limit))
        {
            Assert.Equal(Enumerable.Range(0, SiloDeathFixture.MaxTokens), indices);
            Assert.Equal(expected, tokens);
        }
    }

    private async Task<ModelStatus> WaitFor(string model, Func<ModelStatus, bool> condition)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (true)
        {
            var status = await grid.Model(model).GetStatus();
            if (condition(status)) return status;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{model} after {Limit.TotalSeconds} s: {string.Join("; ", status.Instances.Select(i => $"{i.Shard} {i.State} {i.Error}"))}");
            await Task.Delay(20);
        }
    }
}
