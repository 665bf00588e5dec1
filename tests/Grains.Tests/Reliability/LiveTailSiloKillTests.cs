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
        var scaled = await model.Scale(new ScaleRequest { Instances = 3, Gpus = [Head, Tail] });
        string head = scaled.Instances.Single(i => i.Gpu == Head).Shard;
        string tail = scaled.Instances.Single(i => i.Gpu == Tail).Shard;

        var split = await TopUpUntil(TopUp, model, s => s.Instances.Single(i => i.Shard == tail) is { State: InstanceState.LiveTail, SplitRequests: > 0 } t
            && t.LivePartner == head, $"{tail} never ran a split request of {head} as LiveTail");
        output.WriteLine($"at the kill: {StatusPoll.Describe(split)}");
        await grid.Cluster.KillSiloAsync(grid.Cluster.Silos.Single(s => s.Name == "Silo_2"));

        // The model grain drops the tail: the head is no LiveNew of it any more.
        var after = await TopUpUntil(TopUp, model, s => s.Instances.All(i => i.Shard != tail || i.State is InstanceState.Failed or InstanceState.Inactive)
            && s.Instances.Single(i => i.Shard == head).State != InstanceState.LiveNew || s.Instances.Single(i => i.Shard == head) is { State: InstanceState.LiveNew, LivePartner: { } p } && p != tail,
            $"{head} stayed paired with {tail} after host-c died");
        output.WriteLine($"after the kill: {StatusPoll.Describe(after)}");

        var results = await Task.WhenAll(requests).WaitAsync(StatusPoll.Limit);
        output.WriteLine($"{results.Length} requests, {results.Count(r => r.Result.Instance == head)} served by {head}");
        foreach (var (result, golden) in results)
            Assert.True(result.AllIds.SequenceEqual(golden.Ids), $"\"{golden.Prompt}\" on {result.Instance}: expected [{string.Join(", ", golden.Ids)}], got [{string.Join(", ", result.AllIds)}]");
        await model.Undeploy().WaitAsync(StatusPoll.Limit);
    }

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
