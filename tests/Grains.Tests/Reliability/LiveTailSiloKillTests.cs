using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Engine;
using BlitzScale.Tests.Shared;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>
/// Four hosts: host-a serves stories260K, host-d holds the host copy (the most memory for copies), host-b and host-c receive
/// parameters at 0.1 MB/s, so the two new instances there load for about 10 s: host-b first layers first from host-a,
/// host-c last layers first from host-d's copy (loads in complementary orders). The model grain lives on Silo_0 (host-a).
/// </summary>
public sealed class LiveTailSiloKillFixture : SiloKillFixture
{
    protected override int HostCount => 4;

    /// <summary>The model's name: one whose grain activated on Silo_0.</summary>
    public string ModelName { get; private set; } = "";

    protected override void ConfigureHost(GpuHostOptions host)
    {
        if (host.Host is HostB or HostC) host.ReceiveMBps = LiveNewSiloKillFixture.ReceiveMBps;
        host.HostMemoryGiB = host.Host == "host-d" ? 64 : 8;
    }

    protected override async Task OnDeployedAsync() => ModelName = await NameOnSilo("Silo_0", "livetailkill");
}

/// <summary>
/// A LiveTail's silo killed while it runs the tails of its LiveNew's requests: the model grain drops it, its LiveNew goes back
/// to Loading (and may pair with the busy instance again), the requests whose tails it held resume elsewhere, and every
/// request gives the no-fault greedy output.
/// </summary>
public sealed class LiveTailSiloKillTests(LiveTailSiloKillFixture grid, ITestOutputHelper output) : IClassFixture<LiveTailSiloKillFixture>
{
    private const string Busy = GridFixture.HostA + "/gpu0";
    private const string Head = GridFixture.HostB + "/gpu0";
    private const string Tail = GridFixture.HostC + "/gpu0";
    private const int Open = 6;

    [Fact]
    public async Task A_LiveTails_silo_killed_mid_split_sends_its_LiveNew_back_to_loading_and_every_request_matches_the_goldens()
    {
        var goldens = GoldenTraffic.Goldens();
        var model = grid.Model(grid.ModelName);
        await GoldenTraffic.DeployOne(model, Busy, drainSeconds: 60);
        await grid.WaitUntilServing(grid.ModelName);
        var traffic = new GoldenTraffic(grid.Client, grid.ModelName, goldens, Open);
        await traffic.Until(model, s => s.Instances.Single(i => i.Gpu == Busy).Running > 0, $"{Busy} never ran the requests");
        var scaled = await model.Scale(new ScaleRequest { Instances = 3, Gpus = [Head, Tail] });
        string head = scaled.Instances.Single(i => i.Gpu == Head).Shard;
        string tail = scaled.Instances.Single(i => i.Gpu == Tail).Shard;

        var split = await traffic.Until(model, s => s.Instances.Single(i => i.Shard == tail) is { State: InstanceState.LiveTail, SplitRequests: > 0 } t
            && t.LivePartner == head, $"{tail} never ran a split request of {head} as LiveTail");
        output.WriteLine($"at the kill: {StatusPoll.Describe(split)}");
        await grid.Cluster.KillSiloAsync(grid.Cluster.Silos.Single(s => s.Name == "Silo_2"));

        // The model grain drops the tail: the head is no LiveNew of it any more.
        var after = await traffic.Until(model, s => s.Instances.All(i => i.Shard != tail || i.State is InstanceState.Failed or InstanceState.Inactive)
            && s.Instances.Single(i => i.Shard == head) is var h && (h.State != InstanceState.LiveNew || h.LivePartner != tail),
            $"{head} stayed paired with {tail} after host-c died");
        output.WriteLine($"after the kill: {StatusPoll.Describe(after)}");

        var results = await traffic.All();
        output.WriteLine($"{results.Length} requests, {results.Count(r => r.Result.Instance == head)} served by {head}");
        GoldenTraffic.AssertGoldens(results);
        await model.Undeploy().WaitAsync(StatusPoll.Limit);
    }
}
