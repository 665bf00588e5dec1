using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>
/// Three hosts: host-b (Silo_1, the silo the test kills) serves the model on both its GPUs, host-c receives parameters at
/// 8 MB/s, and host-a has the most memory for model copies, so the model's one host copy lives there. The model is the
/// 102 MB one of <see cref="ChainKillFixture.WriteModel"/>; its grain lives on Silo_0 (host-a), which survives.
/// </summary>
public sealed class SourceHostKillFixture : SiloKillFixture
{
    /// <summary>The model's name: the first of "split0", "split1", … whose grain activated on Silo_0.</summary>
    public string ModelName { get; private set; } = "";

    /// <summary>The model directory.</summary>
    public string ModelDirectory { get; private set; } = "";

    /// <summary>
    /// host-c's receive rate: half the other kill tests' 16 MB/s. In a whole-suite run on 2 cores the load landed its last
    /// 63 MB (4 s at 16 MB/s) from host-b before the kill cut it off, and nothing was left to plan again.
    /// </summary>
    public const double ReceiveMBps = 8;

    protected override int HostCount => 3;

    protected override void ConfigureHost(GpuHostOptions host)
    {
        host.HostMemoryGiB = host.Host == HostA ? 1 : 0.5;
        if (host.Host == HostC) host.ReceiveMBps = ReceiveMBps;
    }

    protected override async Task OnDeployedAsync()
    {
        ModelName = await NameOnSilo("Silo_0", "split");
        ModelDirectory = ScratchPath("stories42m-v512");
        ChainKillFixture.WriteModel(ModelDirectory);
    }
}

/// <summary>
/// Issue 14, failures while loading: a source host killed while both its GPUs feed a new instance (the chain is split over
/// them, half the image each, on two connections). The target fails on the first feed to break, is planned again without
/// host-b, keeps the blobs that landed whole (from either half), fetches the rest from host-a, and serves exactly what host-b served before the
/// fault (greedy). Here the test cluster tells membership of the kill at once, so host-b's instances are dropped and restored
/// on host-a before the target notices (it reads what the sockets still held first); the replan's own rule for a host not yet
/// declared dead (<see cref="Scaling.Instances.LostSources"/>) is tested on its own.
/// </summary>
public sealed class SourceHostKillTests(SourceHostKillFixture grid, ITestOutputHelper output) : IClassFixture<SourceHostKillFixture>
{
    private static readonly string[] Sources = [GridFixture.HostB + "/gpu0", GridFixture.HostB + "/gpu1"];
    private const string Target = GridFixture.HostC + "/gpu0";
    private const int MaxTokens = 24;
    private static readonly int[] Prompt = [1, 17, 42, 99, 7, 301];

    [Fact]
    public async Task A_source_host_killed_while_two_of_its_GPUs_feed_a_target_leaves_it_loaded_from_elsewhere_and_serving_exactly()
    {
        var model = grid.Model(grid.ModelName);
        await model.Deploy(new DeployRequest { ModelDirectory = grid.ModelDirectory, Instances = 2, Gpus = Sources, KvBlocks = 64, Policy = LoadPolicy.Blitz });
        var deployed = await grid.WaitUntilServing(grid.ModelName);
        Assert.Equal([GridFixture.HostA], deployed.HostCopies);
        var request = new GenerateRequest { PromptIds = Prompt, MaxTokens = MaxTokens, StopAtEos = false };
        var noFault = (await Streamed.Collect(grid.Client.GenerateAsync(grid.ModelName, request))).TokenIds;
        Assert.Equal(MaxTokens, noFault.Length);

        await using var events = await ModelEventLog.Follow(grid.Client, grid.ModelName);
        var scaled = await model.Scale(new ScaleRequest { Instances = 3, Gpus = [Target], Sources = Sources });
        string target = scaled.Instances.Single(i => i.Gpu == Target).Shard;
        var loading = await StatusPoll.WaitFor(model, s => s.Instances.Single(i => i.Shard == target) is { LoadedBytes: > 0 } i ? i : null,
            $"{Target} never landed a blob");
        output.WriteLine($"before the kill: {loading.LoadedFrom}, {loading.LoadedBytes} of {loading.TotalLayers} layers' bytes landed");
        Assert.Equal(InstanceState.Loading, loading.State);
        Assert.All(Sources, source => Assert.Contains(source + " ", loading.LoadedFrom));

        await grid.Cluster.KillSiloAsync(grid.Cluster.Silos.Single(s => s.Name == "Silo_1"));

        var replanned = await StatusPoll.WaitFor(model, s => s.Instances.FirstOrDefault(i => i.Shard == target && i.State == InstanceState.Serving),
            $"{target} never served after host-b died");
        output.WriteLine($"{replanned.Shard} loaded from {replanned.LoadedFrom}: fetched {replanned.FetchedBytes} of {replanned.LoadedBytes} bytes");
        // Printed only: the client's subscription may have lived in the killed silo's pub-sub store.
        foreach (var e in events.Events.Where(e => e.Kind is not (ModelEventKind.TransferProgress or ModelEventKind.LayerReady)))
            output.WriteLine($"{e.Kind} {e.Shard} {e.Gpu} lost={e.LostSource} {e.Detail}");
        Assert.StartsWith($"{GridFixture.HostA}/", replanned.LoadedFrom);
        Assert.DoesNotContain(GridFixture.HostB, replanned.LoadedFrom ?? "");
        Assert.InRange(replanned.FetchedBytes, 1, replanned.LoadedBytes - loading.LoadedBytes);
        Assert.Equal(noFault, (await Streamed.Collect(grid.Shard(target).Generate(request)).WaitAsync(StatusPoll.Limit)).TokenIds);

        // The count asked for is back, on live hosts.
        var restored = await StatusPoll.WaitFor(model, s => s.Instances.Count(i => i.State == InstanceState.Serving) == 3 ? s : null, "three instances never served");
        Assert.DoesNotContain(restored.Instances, i => i.Gpu.StartsWith(GridFixture.HostB + "/", StringComparison.Ordinal));
        await model.Undeploy();
    }
}
