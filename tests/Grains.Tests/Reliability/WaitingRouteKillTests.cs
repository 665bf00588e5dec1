using System.Diagnostics;
using BlitzScale.Grains.Interfaces.Serving;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>
/// One instance with one seat on host-a; the model grain lives on Silo_1 (host-b), the silo the test kills while a request
/// waits there for the seat.
/// </summary>
public sealed class WaitingRouteFixture : SiloKillFixture
{
    /// <summary>The model's name: the first of "waits0", "waits1", … whose grain activated on Silo_1.</summary>
    public string ModelName { get; private set; } = "";

    protected override async Task OnDeployedAsync()
    {
        ModelName = await NameOnSilo("Silo_1", "waits");
        // 2 KV blocks of 16 positions: one request of 6 + 20 positions at a time.
        await Model(ModelName).Deploy(new DeployRequest { ModelDirectory = SyntheticModel, Instances = 1, Gpus = ["host-a/gpu0"], KvBlocks = 2 });
        await WaitUntilServing(ModelName);
    }
}

/// <summary>
/// A request waiting at the model grain for a seat when the grain's silo dies: its route call to the dead activation is
/// answered by nothing, and only the runtime's response timeout (30 s) would end it. The caller asks the grain whether it
/// still holds the call (<c>RouteWatch</c>); the new activation does not, so the caller routes again there and the request
/// is served within seconds, with every token.
/// </summary>
public sealed class WaitingRouteKillTests(WaitingRouteFixture grid, ITestOutputHelper output) : IClassFixture<WaitingRouteFixture>
{
    private const int MaxTokens = 20;
    private static readonly int[] Prompt = [1, 17, 42, 99, 7, 301];

    [Fact]
    public async Task A_request_waiting_at_a_model_grain_that_dies_is_routed_again_within_seconds()
    {
        var request = new GenerateRequest { PromptIds = Prompt, MaxTokens = MaxTokens, StopAtEos = false };
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new PausedStream(grid.Client.GenerateAsync(grid.ModelName, request), gate.Task);
        await first.Started.WaitAsync(StatusPoll.Limit);
        var second = new PausedStream(grid.Client.GenerateAsync(grid.ModelName, request), Task.CompletedTask);
        await StatusPoll.WaitFor(grid.Model(grid.ModelName), s => s.QueueLength >= 1 ? s : null, "the second request never waited at the model");

        var sinceKill = Stopwatch.StartNew();
        await grid.Cluster.KillSiloAsync(grid.Cluster.Silos.Single(s => s.Name == "Silo_1"));
        gate.SetResult();
        var (tokens, _) = await second.Done.WaitAsync(StatusPoll.Limit);
        output.WriteLine($"the waiting request ended {sinceKill.Elapsed.TotalSeconds:F1} s after the kill, on {second.Instance}");

        Assert.Equal(MaxTokens, tokens.Count);
        Assert.True(sinceKill.Elapsed < TimeSpan.FromSeconds(20),
            $"the waiting request ended {sinceKill.Elapsed.TotalSeconds:F1} s after its model grain's silo died (the response timeout is 30 s)");
        Assert.Equal(MaxTokens, (await first.Done.WaitAsync(StatusPoll.Limit)).Tokens.Count);
    }
}
