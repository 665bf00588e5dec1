using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Tests.Reliability;
using BlitzScale.Native.Engine;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests.Live;

/// <summary>Three hosts; host-b and host-c receive parameters at 0.25 MB/s, so instances loading there take seconds.</summary>
public sealed class SlowChainFixture : GridFixture
{
    protected override int HostCount => 3;

    protected override void ConfigureHost(GpuHostOptions host)
    {
        if (host.Host is HostB or HostC) host.ReceiveMBps = SlowReceiveFixture.ReceiveMBps;
    }
}

/// <summary>
/// Two instances scaled up under load from one busy instance load along one chain, busy → first hop → last hop. The live pair
/// forms with the last hop: the first forwards every layer on its link, where the pair's hidden states would slow the chain
/// (<c>LivePartners.Choose</c>). Every greedy output still equals stories260K's reference.
/// </summary>
public sealed class LiveChainGridTests(SlowChainFixture grid) : IClassFixture<SlowChainFixture>
{
    private const string Name = "live-chain";

    [Fact]
    public async Task The_pair_forms_with_the_chains_last_hop_and_every_output_matches_the_goldens()
    {
        var goldens = GoldenTraffic.Goldens();
        var model = grid.Model(Name);
        await GoldenTraffic.DeployOne(model, $"{GridFixture.HostA}/gpu0");
        await using var events = await ModelEventLog.Follow(grid.Client, Name);
        await StatusPoll.WaitFor(model, s => s.Instances.All(i => i.State == InstanceState.Serving) ? s : null, "the first instance never served");

        var traffic = new GoldenTraffic(grid.Client, Name, goldens, open: 6, most: 1000);
        traffic.TopUp();
        await StatusPoll.WaitFor(model, s => s.Instances.Sum(i => i.Running) > 0 ? s : null, "the first requests never ran");
        var scaled = await model.Scale(new ScaleRequest { Instances = 3, Gpus = [$"{GridFixture.HostB}/gpu0", $"{GridFixture.HostC}/gpu0"] });
        var fresh = scaled.Instances.Where(i => !i.Gpu.StartsWith(GridFixture.HostA, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, fresh.Count);

        // The chain: the new instance that fetches from the other new one's GPU is its last hop.
        var seen = await StatusPoll.WaitFor(model, status =>
        {
            traffic.TopUp();
            var chainEnd = status.Instances.FirstOrDefault(i => fresh.Any(f => f.Shard == i.Shard)
                && i.Sources is { } sources && fresh.Any(other => other.Shard != i.Shard && sources.Contains(other.Gpu)));
            return chainEnd is not null || events.Events.Any(e => e.Kind == ModelEventKind.LivePaired) ? new LastHop(chainEnd) : null;
        }, "neither new instance was seen fetching from the other");
        var last = seen.Instance;
        Assert.True(last is not null, "the plan fed both new instances from host-a, not along one chain; " +
            $"events: {string.Join(", ", events.Events.Select(e => $"{e.Kind} {e.Shard} {e.Detail}"))}");

        await StatusPoll.Until(() =>
        {
            traffic.TopUp();
            return fresh.All(f => events.Events.Any(e => e.Kind == ModelEventKind.Serving && e.Shard == f.Shard));
        }, "the new instances never served");
        var results = await traffic.All();

        var paired = events.Events.Where(e => e.Kind == ModelEventKind.LivePaired).Select(e => e.Shard).ToList();
        Assert.Equal([last.Shard], paired);
        GoldenTraffic.AssertGoldens(results);
        Assert.Contains(results, r => r.Result.Instance == last.Shard);
        await model.Undeploy();
    }

    // The chain's last hop as first seen (null: the pair formed before either was seen fetching from the other).
    private sealed record LastHop(InstanceStatus? Instance);
}
