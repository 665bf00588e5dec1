using System.Diagnostics;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Engine;
using BlitzScale.Tests.Shared;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>
/// Two hosts: host-a serves stories260K (the busy instance a new one pairs with), host-b receives parameters at 0.1 MB/s, so a
/// new instance there loads its 1 MB image layer by layer for about 10 s. The model grain lives on Silo_0 (host-a), which survives.
/// </summary>
public sealed class LiveNewSiloKillFixture : SiloKillFixture
{
    public const double ReceiveMBps = 0.1;

    /// <summary>The model's name: the first of "livenewkill0", "livenewkill1", … whose grain activated on Silo_0.</summary>
    public string ModelName { get; private set; } = "";

    protected override void ConfigureHost(GpuHostOptions host)
    {
        if (host.Host == HostB) host.ReceiveMBps = ReceiveMBps;
    }

    protected override async Task OnDeployedAsync() => ModelName = await NameOnSilo("Silo_0", "livenewkill");
}

/// <summary>
/// Issue 14/11: a LiveOld whose LiveNew's silo is killed while requests are split between them. Nobody is left to say that those
/// requests ended, so the LiveOld must end them itself when the model grain drops its partner (bench chaos: a LiveOld "still had
/// 6 request(s) after draining 30 s"): its split requests and their KV blocks go, every request gives the no-fault greedy
/// output (those on the dead half resume), and undeploy does not wait for the drain time.
/// </summary>
public sealed class LiveNewSiloKillTests(LiveNewSiloKillFixture grid, ITestOutputHelper output) : IClassFixture<LiveNewSiloKillFixture>
{
    private const string Busy = GridFixture.HostA + "/gpu0";
    private const string Target = GridFixture.HostB + "/gpu0";
    // Requests kept unfinished while the new instance loads: the busy instance has open requests whenever a layer lands.
    private const int Open = 6;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_live_old_whose_partners_silo_dies_mid_split_ends_its_split_requests_and_undeploys_promptly()
    {
        var goldens = GoldenTraffic.Goldens();
        var model = grid.Model(grid.ModelName);
        await GoldenTraffic.DeployOne(model, Busy, drainSeconds: 60);
        await grid.WaitUntilServing(grid.ModelName);
        var traffic = new GoldenTraffic(grid.Client, grid.ModelName, goldens, Open);
        await traffic.Until(model, s => s.Instances.Single(i => i.Gpu == Busy).Running > 0, $"{Busy} never ran the requests");
        var scaled = await model.Scale(new ScaleRequest { Instances = 2, Gpus = [Target] });
        string fresh = scaled.Instances.Single(i => i.Gpu == Target).Shard;
        string old = scaled.Instances.Single(i => i.Gpu == Busy).Shard;

        // Split: the busy instance runs the tails of requests that the loading one started.
        var split = await traffic.Until(model, s => s.Instances.Single(i => i.Shard == old) is { SplitRequests: > 0 } o && o.LivePartner == fresh
            && s.Instances.Single(i => i.Shard == fresh).State == InstanceState.LiveNew, $"{old} never ran a split request of {fresh}");
        var atKill = split.Instances.Single(i => i.Shard == old);
        output.WriteLine($"at the kill: {old} holds {atKill.SplitRequests} split request(s), {atKill.KvBlocksUsed} KV blocks; {StatusPoll.Describe(split)}");
        await grid.Cluster.KillSiloAsync(grid.Cluster.Silos.Single(s => s.Name == "Silo_1"));

        // The model grain drops the dead half (membership, or a lost request's probe) and tells the LiveOld: its split counts end.
        var ended = await StatusPoll.WaitFor(model, s => s.Instances.FirstOrDefault(i => i.Shard == old && i.SplitRequests == 0 && i.LivePartner is null),
            $"{old} kept its split requests of {fresh} after host-b died");
        output.WriteLine($"after the kill: {old} {ended.State}, running {ended.Running}, KV {ended.KvBlocksUsed}");

        var results = await traffic.All();
        output.WriteLine($"{results.Length} requests, {results.Count(r => r.Result.Instance == fresh)} served by {fresh}");
        Assert.Contains(results, r => r.Result.Instance == fresh);
        GoldenTraffic.AssertGoldens(results);
        // Every request has ended: nothing runs on the LiveOld and no KV block is held there for the dead partner.
        var idle = await StatusPoll.WaitFor(model, s => s.Instances.FirstOrDefault(i => i.Shard == old && i.Running == 0 && i.KvBlocksUsed == 0),
            $"{old} still holds requests or KV blocks after every request ended");
        Assert.Equal(0, idle.SplitRequests);

        var undeploy = Stopwatch.StartNew();
        await model.Undeploy().WaitAsync(StatusPoll.Limit);
        output.WriteLine($"undeploy took {undeploy.Elapsed.TotalSeconds:F1} s");
        Assert.True(undeploy.Elapsed < Bound, $"undeploy took {undeploy.Elapsed.TotalSeconds:F1} s (drain time 60 s)");
    }
}
