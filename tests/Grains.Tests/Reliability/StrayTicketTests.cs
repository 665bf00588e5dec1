using System.Diagnostics;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>The tiny synthetic model, one instance per host, 60 s to drain.</summary>
public sealed class StrayTicketFixture : GridFixture
{
    public const string ModelName = "stray";
    public const double DrainSeconds = 60;

    protected override async Task OnDeployedAsync()
    {
        string directory = ScratchPath("tiny-stray");
        SyntheticModelWriter.Write(directory, SyntheticShapes.Get("tiny"), DType.F32, SyntheticSeed);
        await Model(ModelName).Deploy(new DeployRequest
        {
            ModelDirectory = directory, Instances = 2, Gpus = [$"{HostA}/gpu0", $"{HostB}/gpu0"], KvBlocks = 64, DrainSeconds = DrainSeconds,
        });
        await WaitUntilServing(ModelName);
    }
}

/// <summary>
/// Issue 14: a route whose caller never streams nor hands its ticket back (a client that died right after asking where to go)
/// leaves the router counting a request on the instance. Draining it, for a scale-down or an undeploy, used to wait the whole
/// drain time (60 s here) for that request; the drain clock now asks the shard, which has nothing waiting, running or
/// streaming, and drops the stray ticket within seconds.
/// </summary>
public sealed class StrayTicketTests(StrayTicketFixture grid, ITestOutputHelper output) : IClassFixture<StrayTicketFixture>
{
    private static readonly TimeSpan WellWithinTheDrainTime = TimeSpan.FromSeconds(StrayTicketFixture.DrainSeconds / 2);

    [Fact]
    public async Task A_ticket_nobody_hands_back_does_not_hold_a_scale_down_or_an_undeploy_for_the_drain_time()
    {
        var model = grid.Model(StrayTicketFixture.ModelName);
        // Two routes and no generate: least outstanding tokens puts one on each instance.
        var routes = new[] { await model.Route(100, promptTokens: 50), await model.Route(100, promptTokens: 50) };
        Assert.Equal([0, 1], routes.Select(r => ShardKey.Parse(r.Shard).Instance).Order());

        var clock = Stopwatch.StartNew();
        var scaled = await model.Scale(new ScaleRequest { Instances = 1 });
        var draining = scaled.Instances.Single(i => i.State == InstanceState.Draining);
        var warm = await StatusPoll.WaitFor(model, s => s.Instances.FirstOrDefault(i => i.Shard == draining.Shard && i.State == InstanceState.Warm),
            $"{draining.Shard} never turned Warm");
        output.WriteLine($"{warm.Shard} Warm after {clock.Elapsed.TotalSeconds:F1} s of a {StrayTicketFixture.DrainSeconds} s drain");
        Assert.True(clock.Elapsed < WellWithinTheDrainTime, $"the scale-down waited {clock.Elapsed.TotalSeconds:F1} s for a request nobody made");

        clock.Restart();
        await model.Undeploy().WaitAsync(TimeSpan.FromSeconds(StrayTicketFixture.DrainSeconds + 30));
        output.WriteLine($"undeployed after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(clock.Elapsed < WellWithinTheDrainTime, $"the undeploy waited {clock.Elapsed.TotalSeconds:F1} s for a request nobody made");
    }
}
