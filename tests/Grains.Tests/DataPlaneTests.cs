using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Native.Engine;
using BlitzScale.Tests.Shared;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests;

/// <summary>
/// Loading through the grid's data plane on two hosts (two silos, each with its own blob server on loopback): peer-GPU
/// loads over the network, chains with NVLink groups, the one-host-copy rule and its baselines, Warm and eviction.
/// </summary>
public sealed class DataPlaneTests(GridFixture grid, ITestOutputHelper output) : IClassFixture<GridFixture>
{
    private const string A0 = "host-a/gpu0", A1 = "host-a/gpu1", B0 = "host-b/gpu0", B1 = "host-b/gpu1";

    [Fact]
    public async Task Scale_up_feeds_the_new_instance_from_the_gpu_that_holds_the_modelStatusover_the_network()
    {
        const string model = "peer-load";
        await using var events = await ModelEventLog.Follow(grid.Client, model);
        var deployed = await grid.Model(model).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Gpus = [A0] });
        string first = deployed.Instances.Single().Shard;
        await events.Serving([first]);

        var scaled = await grid.Model(model).Scale(new ScaleRequest { Instances = 2, Gpus = [B0] });
        string second = scaled.Instances.Single(i => i.Gpu == B0).Shard;
        await events.Serving([second]);

        var status = (await grid.Model(model).GetStatus()).Instances.Single(i => i.Shard == second);
        output.WriteLine($"{status.LoadedFrom}: {status.LoadedBytes} bytes in {status.LoadSeconds:0.000} s");
        Assert.StartsWith($"{A0} (Network", status.LoadedFrom);
        Assert.Equal(InstanceState.Serving, status.State);
        var planned = await events.WaitFor(e => e.Kind == ModelEventKind.Planned && e.Detail!.Contains(B0, StringComparison.Ordinal));
        Assert.Contains($"{A0} -Network-> {B0}", planned.Detail);

        // Every layer was reported as it landed, in a growing prefix, ending whole.
        var layers = events.Events.Where(e => e.Shard == second && e.Kind == ModelEventKind.LayerReady).Select(e => e.LoadedLayers).ToList();
        Assert.NotEmpty(layers);
        Assert.Equal(layers.Order(), layers);
        Assert.Equal(status.TotalLayers, layers[^1]);
        Assert.Equal(status.LoadedBytes, events.Events.Last(e => e.Shard == second && e.Kind == ModelEventKind.Serving).TotalBytes);

        // The copied parameters compute what the source's do, token for token.
        var request = new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 24, StopAtEos = false };
        var fromSource = await Streamed.Collect(grid.Shard(first).Generate(request));
        var fromPeer = await Streamed.Collect(grid.Shard(second).Generate(request));
        Assert.Equal(fromSource.TokenIds, fromPeer.TokenIds);
        await grid.Model(model).Undeploy();
    }

    [SkippableFact]
    public async Task A_peer_loaded_stories260K_instance_reproduces_the_goldens()
    {
        string? stories = RepositoryPaths.Stories260K;
        Skip.If(stories is null, RepositoryPaths.Stories260KMissing);
        const string model = "peer-goldens";
        await using var events = await ModelEventLog.Follow(grid.Client, model);
        var deployed = await grid.Model(model).Deploy(new DeployRequest { ModelDirectory = stories, Gpus = [B1] });
        await events.Serving([deployed.Instances.Single().Shard]);
        var scaled = await grid.Model(model).Scale(new ScaleRequest { Instances = 2, Gpus = [A1] });
        string peer = scaled.Instances.Single(i => i.Gpu == A1).Shard;
        await events.Serving([peer]);
        Assert.StartsWith($"{B1} (Network", (await grid.Shard(peer).GetStatus()).LoadedFrom);

        foreach (var c in GoldenCase.Load(Path.Combine(stories, "goldens.jsonl")))
        {
            var served = await Streamed.Collect(grid.Shard(peer).Generate(new GenerateRequest
            {
                PromptIds = c.PromptIds, MaxTokens = c.Steps + 1 - c.PromptIds.Length, StopAtEos = false,
            }));
            Assert.Equal(c.Ids, served.AllIds);
        }
        await grid.Model(model).Undeploy();
    }

    [Fact]
    public async Task A_chain_feeds_a_remote_nvlink_group_once_and_each_node_forwards()
    {
        const string model = "chain";
        await using var events = await ModelEventLog.Follow(grid.Client, model);
        var deployed = await grid.Model(model).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Gpus = [A0] });
        await events.Serving([deployed.Instances.Single().Shard]);

        var scaled = await grid.Model(model).Scale(new ScaleRequest { Instances = 4, Gpus = [B0, B1, A1] });
        var fresh = scaled.Instances.Where(i => i.Gpu != A0).ToList();
        await events.Serving(fresh.Select(i => i.Shard));

        var status = (await grid.Model(model).GetStatus()).Instances.ToDictionary(i => i.Gpu);
        foreach (var gpu in new[] { B0, B1, A1 }) output.WriteLine($"{gpu}: {status[gpu].LoadedFrom}");
        // host-b is fed once over the network; its second GPU copies inside the host; host-a/gpu1 copies from gpu0.
        int networkFeedsIntoB = new[] { B0, B1 }.Count(g => status[g].LoadedFrom!.Contains("Network", StringComparison.Ordinal));
        Assert.Equal(1, networkFeedsIntoB);
        Assert.DoesNotContain("Network", status[A1].LoadedFrom, StringComparison.Ordinal);
        Assert.All(status.Values, i => Assert.Equal(status[A0].LoadedBytes, i.LoadedBytes));

        var request = new GenerateRequest { Prompt = "a chain", MaxTokens = 16, StopAtEos = false };
        var expected = (await Streamed.Collect(grid.Shard(status[A0].Shard).Generate(request))).TokenIds;
        foreach (var gpu in new[] { B0, B1, A1 })
            Assert.Equal(expected, (await Streamed.Collect(grid.Shard(status[gpu].Shard).Generate(request))).TokenIds);
        await grid.Model(model).Undeploy();
    }

    [Fact]
    public async Task Blitz_keeps_one_host_copy_while_sllm_and_allcache_keep_one_per_host()
    {
        Assert.Equal(1, await CopiesAfterScaleUp("copies-blitz", LoadPolicy.Blitz));
        Assert.Equal(2, await CopiesAfterScaleUp("copies-sllm", LoadPolicy.Sllm));
        Assert.Equal(2, await CopiesAfterScaleUp("copies-allcache", LoadPolicy.AllCache));
        Assert.Equal(0, await CopiesOf("copies-blitz") + await CopiesOf("copies-sllm") + await CopiesOf("copies-allcache"));
    }

    [Fact]
    public async Task Sllm_reads_the_files_on_a_miss_and_its_hosts_copy_on_a_hit()
    {
        const string model = "sllm-hit";
        await using var events = await ModelEventLog.Follow(grid.Client, model);
        var deployed = await grid.Model(model).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Gpus = [B1], Policy = LoadPolicy.Sllm });
        string cold = deployed.Instances.Single().Shard;
        await events.Serving([cold]);
        Assert.Equal("storage via host-b/memory (Storage)", (await grid.Shard(cold).GetStatus()).LoadedFrom);

        await grid.Model(model).Scale(new ScaleRequest { Instances = 0, KeepWarm = false });
        var again = await grid.Model(model).Scale(new ScaleRequest { Instances = 1, Gpus = [B1] });
        string warm = again.Instances.Single().Shard;
        await events.Serving([warm]);
        Assert.Equal("host-b/memory (HostToDevice)", (await grid.Shard(warm).GetStatus()).LoadedFrom);
        Assert.Equal([GridFixture.HostB], (await grid.Model(model).GetStatus()).HostCopies);
        await grid.Model(model).Undeploy();
    }

    [Fact]
    public async Task Allcache_copies_every_host_at_deploy_even_with_one_instance()
    {
        const string model = "allcache-deploy";
        var status = await grid.Model(model).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Gpus = [A0], Policy = LoadPolicy.AllCache });
        Assert.Equal([GridFixture.HostA, GridFixture.HostB], status.HostCopies!.Order(StringComparer.Ordinal));
        await grid.Model(model).Undeploy();
    }

    [Fact]
    public async Task Scaling_down_keeps_instances_warm_and_scaling_up_revives_them_without_loading()
    {
        const string model = "warm";
        await using var events = await ModelEventLog.Follow(grid.Client, model);
        var deployed = await grid.Model(model).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Instances = 2, Gpus = [A0, B0] });
        await events.Serving(deployed.Instances.Select(i => i.Shard));

        var down = await grid.Model(model).Scale(new ScaleRequest { Instances = 1 });
        var warm = down.Instances.Single(i => i.State == InstanceState.Warm);
        Assert.Equal(B0, warm.Gpu);
        Assert.True((await grid.Gpu(B0).GetStatus()).Residents.Single(r => r.Shard == warm.Shard).Warm);
        // Requests go to the instance still serving.
        var served = await Streamed.Collect(grid.Client.GenerateAsync(model, new GenerateRequest { Prompt = "x", MaxTokens = 2 }));
        Assert.NotEqual(warm.Shard, served.Instance);

        var up = await grid.Model(model).Scale(new ScaleRequest { Instances = 2 });
        var revived = up.Instances.Single(i => i.Shard == warm.Shard);
        Assert.Equal(InstanceState.Serving, revived.State);
        Assert.Equal(warm.LoadSeconds, revived.LoadSeconds);
        Assert.Equal(2, up.Instances.Count);
        await events.WaitFor(ModelEventKind.Revived, warm.Shard);
        await grid.Model(model).Undeploy();
    }

    [Fact]
    public async Task A_warm_instance_gives_its_gpu_memory_to_a_new_instance_that_needs_it()
    {
        const string resting = "evict-warm", arriving = "evict-new";
        await using var events = await ModelEventLog.Follow(grid.Client, resting);
        // Each instance takes most of the 2 GiB GPU in KV blocks, so two never fit together.
        var files = Native.Models.ModelDirectory.Open(grid.SyntheticModel);
        long perBlock = Native.Engine.KvStoreShape.BytesPerBlock(files.Config, Scaling.Serving.BatchPolicy.DefaultBlockSize);
        int blocks = (int)((long)(GridFixture.GpuMemoryGiB * (1L << 30) * 0.6) / perBlock);
        files.Dispose();

        var first = await grid.Model(resting).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Gpus = [A1], KvBlocks = blocks });
        string shard = first.Instances.Single().Shard;
        await events.Serving([shard]);
        await grid.Model(resting).Scale(new ScaleRequest { Instances = 0 });

        var second = await grid.Model(arriving).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Gpus = [A1], KvBlocks = blocks });
        await events.WaitFor(ModelEventKind.Evicted, shard);
        Assert.Empty((await grid.Model(resting).GetStatus()).Instances);
        Assert.Equal([second.Instances.Single().Shard], (await grid.Gpu(A1).GetStatus()).Residents.Select(r => r.Shard));

        // Scaling the evicted model up again loads a fresh instance.
        await grid.Model(arriving).Undeploy();
        var again = await grid.Model(resting).Scale(new ScaleRequest { Instances = 1, Gpus = [A1] });
        Assert.NotEqual(shard, again.Instances.Single().Shard);
        await grid.Model(resting).Undeploy();
    }

    [Fact]
    public async Task A_source_that_cannot_be_reached_fails_the_load_naming_it_as_lost()
    {
        const string model = "lost-source";
        await using var events = await ModelEventLog.Follow(grid.Client, model);
        string shard = new ShardKey(model, 0, 0).ToString();
        // Nothing listens on this port: the peer is gone.
        string deadPeer = $"127.0.0.1:{ClosedPort()}";
        var feed = new LoadFeed(FeedKind.Network, B1, deadPeer, "somebody/0/0", 0, 6, "Network");
        await Placement.HostContext.On(GridFixture.HostA, () => grid.Shard(shard).Load(new ShardLoadRequest(A0, grid.SyntheticModel, null, null, [feed])));

        var failed = await events.WaitFor(e => e.Shard == shard && e.Kind is ModelEventKind.Failed or ModelEventKind.Serving);
        Assert.Equal(ModelEventKind.Failed, failed.Kind);
        Assert.Equal(B1, failed.LostSource);
        Assert.Contains($"from {B1} (Network {deadPeer}) failed", failed.Detail);
        var status = await grid.Shard(shard).GetStatus();
        Assert.Equal(InstanceState.Failed, status.State);
        // The image and its GPU memory are kept for a refeed (the model grain's replan) until the shard is unloaded.
        Assert.Contains(shard, (await grid.Gpu(A0).GetStatus()).Residents.Select(r => r.Shard));
        await grid.Shard(shard).Unload();
        Assert.DoesNotContain(shard, (await grid.Gpu(A0).GetStatus()).Residents.Select(r => r.Shard));
    }

    [Fact]
    public async Task A_load_that_lost_its_source_and_is_not_planned_again_fetches_from_its_fallback()
    {
        // No model grain plans this shard again ("orphan" is not deployed: its reports change nothing), as when the model grain
        // died with the source: after its grace the shard takes the fallback its load came with, here storage.
        const string model = "orphan";
        await using var events = await ModelEventLog.Follow(grid.Client, model);
        string shard = new ShardKey(model, 0, 0).ToString();
        var lost = new LoadFeed(FeedKind.Network, B1, $"127.0.0.1:{ClosedPort()}", "somebody/0/0", 0, 6, "Network");
        var storage = new LoadFeed(FeedKind.Storage, "storage", "", "", 0, 6, "Storage");
        await Placement.HostContext.On(GridFixture.HostA, () =>
            grid.Shard(shard).Load(new ShardLoadRequest(A0, grid.SyntheticModel, null, null, [lost], Fallbacks: [[storage]])));

        var failed = await events.WaitFor(e => e.Shard == shard && e.Kind is ModelEventKind.Failed or ModelEventKind.Serving);
        Assert.Equal(ModelEventKind.Failed, failed.Kind);
        Assert.Equal(B1, failed.LostSource);
        var refeeding = await events.WaitFor(e => e.Shard == shard && e.Kind is ModelEventKind.Refeeding or ModelEventKind.Serving);
        Assert.Equal(ModelEventKind.Refeeding, refeeding.Kind);
        Assert.Equal(B1, refeeding.LostSource);
        Assert.Equal(failed.Load + 1, refeeding.Load);
        Assert.Contains("storage", refeeding.Detail);
        // The events seen so far included: the fallback's load ends serving, or failed with its own number.
        var ended = await events.WaitFor(e => e.Shard == shard && (e.Kind == ModelEventKind.Serving || e.Kind == ModelEventKind.Failed && e.Load == refeeding.Load));
        Assert.Equal(ModelEventKind.Serving, ended.Kind);

        var status = await grid.Shard(shard).GetStatus();
        Assert.Equal(InstanceState.Serving, status.State);
        Assert.StartsWith("storage", status.LoadedFrom);
        Assert.Equal(status.LoadedBytes, status.KeptBytes + status.FetchedBytes);
        // Two loads: the one that lost its source, and the fallback's.
        Assert.Equal(2, status.Load);
        await grid.Shard(shard).Unload();
    }

    [Fact]
    public async Task A_fallback_that_fails_too_is_followed_by_the_next()
    {
        // As when the model grain died with the source and the first fallback, a GPU on another host, is gone as well: the
        // shard goes on to storage, keeping what landed.
        const string model = "orphan-twice";
        await using var events = await ModelEventLog.Follow(grid.Client, model);
        string shard = new ShardKey(model, 0, 0).ToString();
        var lost = new LoadFeed(FeedKind.Network, B1, $"127.0.0.1:{ClosedPort()}", "somebody/0/0", 0, 6, "Network");
        var alsoGone = new LoadFeed(FeedKind.Network, A1, $"127.0.0.1:{ClosedPort()}", "somebody-else/0/0", 0, 6, "Network");
        // Dropped unused: it comes from the lost source's host.
        var sameHost = new LoadFeed(FeedKind.Network, B0, $"127.0.0.1:{ClosedPort()}", "neighbour/0/0", 0, 6, "Network");
        var storage = new LoadFeed(FeedKind.Storage, "storage", "", "", 0, 6, "Storage");
        await Placement.HostContext.On(GridFixture.HostA, () =>
            grid.Shard(shard).Load(new ShardLoadRequest(A0, grid.SyntheticModel, null, null, [lost], Fallbacks: [[sameHost], [alsoGone], [storage]])));

        var first = await events.WaitFor(e => e.Shard == shard && e.Kind == ModelEventKind.Refeeding);
        Assert.Equal(B1, first.LostSource);
        Assert.Contains(A1, first.Detail);
        var second = await events.WaitFor(e => e.Shard == shard && e.Kind == ModelEventKind.Refeeding && e.Load > first.Load);
        Assert.Equal(A1, second.LostSource);
        Assert.Contains("storage", second.Detail);
        var ended = await events.WaitFor(e => e.Shard == shard && (e.Kind == ModelEventKind.Serving || e.Kind == ModelEventKind.Failed && e.Load == second.Load));
        Assert.Equal(ModelEventKind.Serving, ended.Kind);

        var status = await grid.Shard(shard).GetStatus();
        Assert.Equal(InstanceState.Serving, status.State);
        Assert.StartsWith("storage", status.LoadedFrom);
        Assert.Equal(status.LoadedBytes, status.KeptBytes + status.FetchedBytes);
        // Three loads: the plan's, the first fallback's, storage's.
        Assert.Equal(3, status.Load);
        await grid.Shard(shard).Unload();
    }

    [Fact]
    public async Task A_failed_instance_not_planned_again_gives_its_gpu_to_the_next_scale_up()
    {
        const string model = "failed-replaced";
        await using var events = await ModelEventLog.Follow(grid.Client, model);
        var deployed = await grid.Model(model).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Instances = 4, Gpus = [A0, A1, B0, B1] });
        await events.Serving(deployed.Instances.Select(i => i.Shard));
        string failed = deployed.Instances.Single(i => i.Gpu == B1).Shard;

        // As its shard reports a failure that is not a lost source: nothing plans it again, and every GPU holds the model.
        await grid.Model(model).Report(new ModelEvent { Kind = ModelEventKind.Failed, Model = model, Shard = failed, Gpu = B1, Detail = "injected" });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await grid.Model(model).GetStatus()).Instances.Single(i => i.Shard == failed).State != InstanceState.Failed)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{failed} never turned Failed in the model");
            await Task.Delay(20);
        }

        var scaled = await grid.Model(model).Scale(new ScaleRequest { Instances = 4 });
        Assert.DoesNotContain(scaled.Instances, i => i.Shard == failed);
        var fresh = scaled.Instances.Single(i => i.Gpu == B1);
        Assert.NotEqual(failed, fresh.Shard);
        await events.Serving([fresh.Shard]);
        Assert.Equal([fresh.Shard], (await grid.Gpu(B1).GetStatus()).Residents.Select(r => r.Shard));
        await grid.Model(model).Undeploy();
    }

    [Fact]
    public async Task The_modelStatusgrain_plans_a_load_again_around_a_lost_source()
    {
        const string model = "replan";
        await using var events = await ModelEventLog.Follow(grid.Client, model);
        var deployed = await grid.Model(model).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Gpus = [A0] });
        await events.Serving([deployed.Instances.Single().Shard]);
        var scaled = await grid.Model(model).Scale(new ScaleRequest { Instances = 2, Gpus = [B0] });
        string target = scaled.Instances.Single(i => i.Gpu == B0).Shard;
        await events.Serving([target]);

        // As the target's shard reports a source lost mid-transfer.
        await grid.Model(model).Report(new ModelEvent { Kind = ModelEventKind.Failed, Model = model, Shard = target, Gpu = B0, Detail = "injected", LostSource = A0 });

        var replanned = await events.WaitFor(e => e.Kind == ModelEventKind.Planned && e.Detail!.StartsWith("replanning", StringComparison.Ordinal));
        Assert.Contains($"source {A0} was lost", replanned.Detail);
        var again = await events.WaitFor(e => e.Kind == ModelEventKind.Serving && e.Gpu == B0 && e.Shard != target);
        var modelStatus = await grid.Model(model).GetStatus();
        var status = modelStatus.Instances.Single(i => i.Shard == again.Shard);
        // Without the GPU source, the one host copy feeds it, unless the copy is on the lost source's host, which is left out
        // whole with it (its data plane dropped a holder): then storage does.
        string copyHost = modelStatus.HostCopies!.Single();
        Assert.StartsWith(copyHost == GridFixture.HostA ? "storage (" : $"{copyHost}/memory (", status.LoadedFrom);
        Assert.DoesNotContain(target, (await grid.Model(model).GetStatus()).Instances.Select(i => i.Shard));
        await grid.Model(model).Undeploy();
    }

    [Fact]
    public async Task Scale_rejects_bad_requests_with_the_reason()
    {
        const string model = "scale-errors";
        await Assert.ThrowsAsync<KeyNotFoundException>(() => grid.Model(model).Scale(new ScaleRequest { Instances = 1 }));
        await grid.Model(model).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Gpus = [A0] });
        var tooMany = await Assert.ThrowsAsync<ArgumentException>(() => grid.Model(model).Scale(new ScaleRequest { Instances = 3, Gpus = [B0] }));
        Assert.Contains("1 given for 2 new instance(s)", tooMany.Message);
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => grid.Model(model).Scale(new ScaleRequest { Instances = 2, Gpus = ["host-z/gpu0"] }));
        Assert.Contains("host-z", unknown.Message);
        var taken = await Assert.ThrowsAsync<ArgumentException>(() => grid.Model(model).Scale(new ScaleRequest { Instances = 2, Gpus = [A0] }));
        Assert.Contains("already holds", taken.Message);
        await grid.Model(model).Undeploy();
    }

    private async Task<int> CopiesAfterScaleUp(string model, LoadPolicy policy)
    {
        await using var events = await ModelEventLog.Follow(grid.Client, model);
        var deployed = await grid.Model(model).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Gpus = [A0], Policy = policy });
        await events.Serving([deployed.Instances.Single().Shard]);
        var scaled = await grid.Model(model).Scale(new ScaleRequest { Instances = 4, Gpus = [A1, B0, B1] });
        await events.Serving(scaled.Instances.Select(i => i.Shard));
        int copies = await CopiesOf(model);
        output.WriteLine($"{policy}: {copies} host cop(ies); {string.Join("; ", scaled.Instances.Select(i => $"{i.Gpu} from {i.LoadedFrom}"))}");
        await grid.Model(model).Undeploy();
        return copies;
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<int> CopiesOf(string model)
    {
        int copies = 0;
        foreach (string host in new[] { GridFixture.HostA, GridFixture.HostB })
        {
            var memory = await grid.Client.GetGrain<IHostMemoryGrain>(new HostMemoryKey(host).ToString()).GetStatus();
            copies += memory.Copies.Count(c => c.Model == model);
        }
        return copies;
    }
}
