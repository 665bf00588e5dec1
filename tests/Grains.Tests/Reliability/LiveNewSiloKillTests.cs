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
        var goldens = GoldenCase.Load(Path.Combine(RepositoryPaths.ShippedStories260K, "goldens.jsonl"));
        var model = grid.Model(grid.ModelName);
        await model.Deploy(new DeployRequest
        {
            ModelDirectory = RepositoryPaths.ShippedStories260K, Instances = 1, Gpus = [Busy], KvBlocks = 128, Policy = LoadPolicy.Blitz, DrainSeconds = 60,
        });
        await grid.WaitUntilServing(grid.ModelName);
        var requests = new List<Task<(Streamed Result, GoldenCase Golden)>>();
        void TopUp()
        {
            while (requests.Count(r => !r.IsCompleted) < Open && requests.Count < 2000) requests.Add(Run(goldens[requests.Count % goldens.Count]));
        }
        await TopUpUntil(TopUp, model, s => s.Instances.Single(i => i.Gpu == Busy).Running > 0, $"{Busy} never ran the requests");
        var scaled = await model.Scale(new ScaleRequest { Instances = 2, Gpus = [Target] });
        string fresh = scaled.Instances.Single(i => i.Gpu == Target).Shard;
        string old = scaled.Instances.Single(i => i.Gpu == Busy).Shard;

        // Split: the busy instance runs the tails of requests that the loading one started.
        var split = await TopUpUntil(TopUp, model, s => s.Instances.Single(i => i.Shard == old) is { SplitRequests: > 0 } o && o.LivePartner == fresh
            && s.Instances.Single(i => i.Shard == fresh).State == InstanceState.LiveNew, $"{old} never ran a split request of {fresh}");
        var atKill = split.Instances.Single(i => i.Shard == old);
        output.WriteLine($"at the kill: {old} holds {atKill.SplitRequests} split request(s), {atKill.KvBlocksUsed} KV blocks; {StatusPoll.Describe(split)}");
        await grid.Cluster.KillSiloAsync(grid.Cluster.Silos.Single(s => s.Name == "Silo_1"));

        // The model grain drops the dead half (membership, or a lost request's probe) and tells the LiveOld: its split counts end.
        var ended = await StatusPoll.WaitFor(model, s => s.Instances.FirstOrDefault(i => i.Shard == old && i.SplitRequests == 0 && i.LivePartner is null),
            $"{old} kept its split requests of {fresh} after host-b died");
        output.WriteLine($"after the kill: {old} {ended.State}, running {ended.Running}, KV {ended.KvBlocksUsed}");

        var results = await Task.WhenAll(requests).WaitAsync(StatusPoll.Limit);
        output.WriteLine($"{results.Length} requests, {results.Count(r => r.Result.Instance == fresh)} served by {fresh}");
        Assert.Contains(results, r => r.Result.Instance == fresh);
        foreach (var (result, golden) in results)
            Assert.True(result.AllIds.SequenceEqual(golden.Ids), $"\"{golden.Prompt}\" on {result.Instance}: expected [{string.Join(", ", golden.Ids)}], got [{string.Join(", ", result.AllIds)}]");
        // Every request has ended: nothing runs on the LiveOld and no KV block is held there for the dead partner.
        var idle = await StatusPoll.WaitFor(model, s => s.Instances.FirstOrDefault(i => i.Shard == old && i.Running == 0 && i.KvBlocksUsed == 0),
            $"{old} still holds requests or KV blocks after every request ended");
        Assert.Equal(0, idle.SplitRequests);

        var undeploy = Stopwatch.StartNew();
        await model.Undeploy().WaitAsync(StatusPoll.Limit);
        output.WriteLine($"undeploy took {undeploy.Elapsed.TotalSeconds:F1} s");
        Assert.True(undeploy.Elapsed < Bound, $"undeploy took {undeploy.Elapsed.TotalSeconds:F1} s (drain time 60 s)");
    }

    // Keeps Open requests unfinished until the status satisfies the condition; returns that status.
    private static async Task<ModelStatus> TopUpUntil(Action topUp, IModelGrain model, Func<ModelStatus, bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            topUp();
            var status = await model.GetStatus();
            if (condition(status)) return status;
            Assert.True(DateTime.UtcNow < deadline, $"{failure}; last seen: {StatusPoll.Describe(status)}");
            await Task.Delay(10);
        }
    }

    private async Task<(Streamed, GoldenCase)> Run(GoldenCase golden)
    {
        var request = new GenerateRequest { PromptIds = [.. golden.PromptIds], MaxTokens = golden.Steps + 1 - golden.PromptIds.Length, StopAtEos = false };
        return (await Streamed.Collect(grid.Client.GenerateAsync(grid.ModelName, request)), golden);
    }
}
