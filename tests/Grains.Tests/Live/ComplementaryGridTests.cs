using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Tests.Reliability;
using BlitzScale.Native.Engine;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests.Live;

/// <summary>
/// Four hosts: the busy instance on host-a, the host copy on host-d (the most memory for copies), and host-b and host-c
/// receiving parameters at 0.25 MB/s, so instances loading there take seconds.
/// </summary>
public sealed class ComplementaryFixture : GridFixture
{
    public const string HostD = "host-d";

    protected override int HostCount => 4;

    protected override void ConfigureHost(GpuHostOptions host)
    {
        if (host.Host is HostB or HostC) host.ReceiveMBps = SlowReceiveFixture.ReceiveMBps;
        host.HostMemoryGiB = host.Host == HostD ? 64 : 8;
    }
}

/// <summary>
/// Loads in complementary orders in the grid: two instances scaled up over the network under load. The plan feeds host-b from
/// the busy GPU first layers first and host-c from the host copy last layers first; once the two hold the model between them
/// host-b serves live (LiveNew), running each request's first layers, and host-c, still loading, runs the rest and the head
/// (LiveTail). Every greedy output equals stories260K's reference, token for token.
/// </summary>
public sealed class ComplementaryGridTests(ComplementaryFixture grid) : IClassFixture<ComplementaryFixture>
{
    private const string Name = "live-complementary";

    [Fact]
    public async Task Two_loads_in_opposite_orders_serve_as_a_pipeline_and_every_output_matches_the_goldens()
    {
        var goldens = GoldenTraffic.Goldens();
        var model = grid.Model(Name);
        await GoldenTraffic.DeployOne(model, $"{GridFixture.HostA}/gpu0");
        await using var events = await ModelEventLog.Follow(grid.Client, Name);
        var deployed = await StatusPoll.WaitFor(model, s => s.Instances.All(i => i.State == InstanceState.Serving) ? s : null, "the first instance never served");
        Assert.Equal([ComplementaryFixture.HostD], deployed.HostCopies);

        var traffic = new GoldenTraffic(grid.Client, Name, goldens, open: 6, most: 1000);
        traffic.TopUp();
        await StatusPoll.WaitFor(model, s => s.Instances.Sum(i => i.Running) > 0 ? s : null, "the first requests never ran");
        var scaled = await model.Scale(new ScaleRequest { Instances = 3, Gpus = [$"{GridFixture.HostB}/gpu0", $"{GridFixture.HostC}/gpu0"] });
        var fresh = scaled.Instances.Where(i => !i.Gpu.StartsWith(GridFixture.HostA, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, fresh.Count);

        // The tail's state is seen while it loads: LiveTail, with the last layers and not the first.
        InstanceStatus? tailSeen = null;
        await StatusPoll.WaitFor(model, status =>
        {
            traffic.TopUp();
            tailSeen ??= status.Instances.FirstOrDefault(i => i.State == InstanceState.LiveTail);
            return fresh.All(f => events.Events.Any(e => e.Kind == ModelEventKind.Serving && e.Shard == f.Shard)) ? status : null;
        }, "the new instances never served");
        var results = await traffic.All();

        string Describe() => string.Join(", ", events.Events.Select(e => $"{e.Kind} {e.Shard} {e.Detail}"));
        // The head pairs with the busy instance at its first layer, as any load over the network, then leaves it for the tail.
        var paired = events.Events.Where(e => e.Kind == ModelEventKind.LivePaired).ToList();
        var head = fresh.Single(f => f.Gpu.StartsWith(GridFixture.HostB, StringComparison.Ordinal));
        var tail = fresh.Single(f => f.Gpu.StartsWith(GridFixture.HostC, StringComparison.Ordinal));
        Assert.True(paired.Count is 1 or 2 && paired.All(e => e.Shard == head.Shard), $"events: {Describe()}");
        Assert.Contains($"beside {tail.Shard}", paired[^1].Detail, StringComparison.Ordinal);
        Assert.True(tailSeen is not null, $"host-c was never seen LiveTail; events: {Describe()}");
        Assert.Equal(tail.Shard, tailSeen.Shard);
        Assert.True(tailSeen.LoadedTailLayers > 0 && tailSeen.LoadedLayers < tailSeen.TotalLayers,
            $"LiveTail with {tailSeen.LoadedLayers} first and {tailSeen.LoadedTailLayers} last of {tailSeen.TotalLayers} layers");
        // host-c loaded from the host copy, last first (its load's description says so).
        var end = await model.GetStatus();
        Assert.Contains("last first", end.Instances.Single(i => i.Shard == tail.Shard).LoadedFrom ?? "", StringComparison.Ordinal);

        GoldenTraffic.AssertGoldens(results);
        // The head served requests live, split with the tail.
        var served = end.Instances.Single(i => i.Shard == head.Shard).LiveServed ?? "";
        var split = System.Text.RegularExpressions.Regex.Match(served, @"requests: (\d+) split");
        Assert.True(split.Success && int.Parse(split.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, $"the head's live ledger: {served}");
        Assert.Contains(results, r => r.Result.Instance == head.Shard);
        await model.Undeploy();
    }

}
