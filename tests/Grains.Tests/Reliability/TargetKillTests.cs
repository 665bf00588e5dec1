using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>
/// Three hosts: host-a holds the model, host-b receives parameters at 16 MB/s (from peers and host copies alike) and host-c
/// after it, so a chain host-a/gpu0 → host-b/gpu0 → host-c/gpu0 moves at host-b's pace and the middle node can be killed
/// while both targets still lack most of the 102 MB image (<see cref="ChainKillFixture.WriteModel"/>). The model grain
/// lives on Silo_0 (host-a), which survives.
/// </summary>
public sealed class TargetKillFixture : SiloKillFixture
{
    /// <summary>The model's name: the first of "mid0", "mid1", … whose grain activated on Silo_0.</summary>
    public string ModelName { get; private set; } = "";

    /// <summary>The model directory.</summary>
    public string ModelDirectory { get; private set; } = "";

    protected override int HostCount => 3;

    protected override void ConfigureHost(GpuHostOptions host)
    {
        if (host.Host == HostB) host.ReceiveMBps = ChainKillFixture.ReceiveMBps;
    }

    protected override async Task OnDeployedAsync()
    {
        ModelName = await NameOnSilo("Silo_0", "mid");
        ModelDirectory = ScratchPath("stories42m-v512");
        ChainKillFixture.WriteModel(ModelDirectory);
    }
}

/// <summary>
/// Issue 14, failures while loading: a target killed mid-chain does not stall the nodes after it. host-b/gpu0 is the first
/// target of a chain from host-a/gpu0 and feeds host-c/gpu0 as its blobs land; host-b's silo is killed (not an injected
/// event) while both targets lack most layers. host-c/gpu0 loses its source, is planned again without it from what it
/// holds, completes, and serves exactly what the source served before the fault (greedy); the count is restored without host-b.
/// </summary>
public sealed class TargetKillTests(TargetKillFixture grid, ITestOutputHelper output) : IClassFixture<TargetKillFixture>
{
    private const string Source = GridFixture.HostA + "/gpu0";
    private const string Middle = GridFixture.HostB + "/gpu0";
    private const string Last = GridFixture.HostC + "/gpu0";
    private const int MaxTokens = 24;
    // Layers the last node holds before the kill: what its replanned load must not fetch again.
    private const int KeptLayers = 2;
    private static readonly int[][] Prompts = [[1, 17, 42, 99, 7, 301], [1, 200, 310, 5]];

    [Fact]
    public async Task A_target_killed_mid_chain_leaves_the_node_after_it_loaded_from_elsewhere_and_serving_exactly()
    {
        var model = grid.Model(grid.ModelName);
        await model.Deploy(new DeployRequest { ModelDirectory = grid.ModelDirectory, Instances = 1, Gpus = [Source], KvBlocks = 64, Policy = LoadPolicy.Blitz });
        await grid.WaitUntilServing(grid.ModelName);
        var reference = new List<(GenerateRequest Request, int[] Tokens)>();
        foreach (var prompt in Prompts)
            reference.Add((Request(prompt), (await Streamed.Collect(grid.Client.GenerateAsync(grid.ModelName, Request(prompt)))).TokenIds));
        Assert.All(reference, r => Assert.Equal(MaxTokens, r.Tokens.Length));

        await using var events = await ModelEventLog.Follow(grid.Client, grid.ModelName);
        // One chain: host-b comes before host-c (same speed, by name), so host-c reads what host-b has landed.
        var scaled = await model.Scale(new ScaleRequest { Instances = 3, Gpus = [Middle, Last], Sources = [Source] });
        string middle = scaled.Instances.Single(i => i.Gpu == Middle).Shard;
        string last = scaled.Instances.Single(i => i.Gpu == Last).Shard;
        var loading = await StatusPoll.WaitFor(model, s => s.Instances.Single(i => i.Shard == last) is { LoadedLayers: >= KeptLayers } i ? i : null,
            $"{Last} never landed {KeptLayers} layers");
        var status = await model.GetStatus();
        output.WriteLine($"before the kill: {StatusPoll.Describe(status)}");
        Assert.Equal(InstanceState.Loading, loading.State);
        Assert.InRange(loading.LoadedLayers, KeptLayers, loading.TotalLayers - 2);
        Assert.Equal(Middle, loading.LoadedFrom?.Split(' ')[0]);
        Assert.Equal(Source, status.Instances.Single(i => i.Shard == middle).LoadedFrom?.Split(' ')[0]);

        await grid.Cluster.KillSiloAsync(grid.Cluster.Silos.Single(s => s.Name == "Silo_1"));

        // The same shard on host-c serves: planned again without host-b, fed from host-a, fetching only what it lacked.
        var replanned = await StatusPoll.WaitFor(model, s => s.Instances.FirstOrDefault(i => i.Shard == last && i.State == InstanceState.Serving),
            $"{Last} never served after {Middle} died");
        output.WriteLine($"{replanned.Shard} loaded from {replanned.LoadedFrom} in {replanned.LoadSeconds:F1} s: fetched {replanned.FetchedBytes} of {replanned.LoadedBytes} bytes");
        // Printed only: the client's subscription may have lived in the killed silo's pub-sub store.
        foreach (var e in events.Events.Where(e => e.Kind is not (ModelEventKind.TransferProgress or ModelEventKind.LayerReady)))
            output.WriteLine($"{e.Kind} {e.Shard} {e.Gpu} lost={e.LostSource} {e.Detail}");
        Assert.InRange(replanned.FetchedBytes, 1, replanned.LoadedBytes - loading.LoadedBytes);
        Assert.StartsWith($"{GridFixture.HostA}/", replanned.LoadedFrom);
        Assert.DoesNotContain(GridFixture.HostB, replanned.LoadedFrom ?? "");

        var shard = grid.Shard(replanned.Shard);
        foreach (var (request, tokens) in reference)
            Assert.Equal(tokens, (await Streamed.Collect(shard.Generate(request)).WaitAsync(StatusPoll.Limit)).TokenIds);

        // The count asked for comes back without host-b: the dead middle node is replaced on a live host.
        var restored = await StatusPoll.WaitFor(model, s => s.Instances.Count(i => i.State == InstanceState.Serving) == 3 ? s : null, "three instances never served");
        output.WriteLine($"restored: {StatusPoll.Describe(restored)}");
        Assert.DoesNotContain(restored.Instances, i => i.Gpu.StartsWith(GridFixture.HostB + "/", StringComparison.Ordinal));
        foreach (var (request, tokens) in reference)
            Assert.Equal(tokens, (await Streamed.Collect(grid.Client.GenerateAsync(grid.ModelName, request)).WaitAsync(StatusPoll.Limit)).TokenIds);
        await model.Undeploy();
    }

    private static GenerateRequest Request(int[] prompt) => new() { PromptIds = prompt, MaxTokens = MaxTokens, StopAtEos = false };
}
