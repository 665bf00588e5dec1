using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests;

/// <summary>
/// Two hosts whose silos declare a copy from host memory into a GPU (2,000 MB/s, 16 Gbit/s) faster than their 1 Gbit/s NICs,
/// as the testbed benches do in the H200's proportion. host-a has more memory for copies than host-b.
/// </summary>
public sealed class FastCopyGridFixture : GridFixture
{
    protected override void ConfigureHost(GpuHostOptions host)
    {
        host.NicGbps = 1;
        host.HostToDeviceMBps = 2000;
        host.HostMemoryGiB = host.Host == HostA ? 2 : 1;
    }
}

/// <summary>
/// Where hosts copy into their GPUs faster than the network brings the image, a <c>blitz</c> deployment's one host copy goes
/// beside a GPU its instances leave free, on a host they leave alone where there is one, and a scale-up loads that GPU from it
/// rather than from a serving GPU over the network; a GPU beside a serving one goes first (NVLink).
/// </summary>
public sealed class HostCopyPlacementTests(FastCopyGridFixture grid, ITestOutputHelper output) : IClassFixture<FastCopyGridFixture>
{
    private static readonly GenerateRequest Request = new() { PromptIds = [1, 17, 42, 99, 7, 301], MaxTokens = 16, StopAtEos = false };

    [Fact]
    public async Task The_copy_goes_beside_a_free_gpu_and_a_scale_up_loads_that_gpu_from_host_memory()
    {
        const string model = "nearcopy";
        var deployed = await Deploy(model, "host-a/gpu0", "host-a/gpu1");
        try
        {
            // host-a has more memory left, but no GPU left free: the copy goes to host-b.
            Assert.Equal([GridFixture.HostB], deployed.HostCopies);

            var scaled = await ScaleTo(model, 3);

            // No GPU named: host-b's first, loaded from its memory, not over the network from host-a's serving GPUs.
            var added = Assert.Single(scaled.Instances, i => i.Gpu.StartsWith(GridFixture.HostB + "/", StringComparison.Ordinal));
            Assert.Equal("host-b/gpu0", added.Gpu);
            Assert.StartsWith($"{GridFixture.HostB}/memory (HostToDevice", added.LoadedFrom);

            await SameTokens(scaled.Instances.Single(i => i.Gpu == "host-a/gpu0").Shard, added.Shard);
        }
        finally
        {
            await grid.Model(model).Undeploy();
        }
    }

    [Fact]
    public async Task The_copy_goes_to_a_host_without_instances_and_scale_ups_take_the_gpu_beside_a_serving_one_first()
    {
        const string model = "nvlinkfirst";
        var deployed = await Deploy(model, "host-a/gpu0");
        try
        {
            // host-a has more memory left and a GPU free, but its GPU sends to that one: the copy would feed nothing there.
            Assert.Equal([GridFixture.HostB], deployed.HostCopies);

            var second = await ScaleTo(model, 2);
            // No GPU named: the one beside the serving GPU, over NVLink, before the copy's host and before spreading.
            var beside = second.Instances.Single(i => i.Gpu == "host-a/gpu1");
            Assert.StartsWith("host-a/gpu0 (NvLink", beside.LoadedFrom);

            var third = await ScaleTo(model, 3);
            var fromCopy = third.Instances.Single(i => i.Gpu == "host-b/gpu0");
            Assert.StartsWith($"{GridFixture.HostB}/memory (HostToDevice", fromCopy.LoadedFrom);

            await SameTokens(deployed.Instances.Single().Shard, beside.Shard, fromCopy.Shard);
        }
        finally
        {
            await grid.Model(model).Undeploy();
        }
    }

    [Fact]
    public async Task A_copy_of_the_model_outside_its_host_copy_is_dropped_once_no_load_runs()
    {
        const string model = "straycopy";
        var deployed = await Deploy(model, "host-a/gpu0");
        try
        {
            Assert.Equal([GridFixture.HostB], deployed.HostCopies);
            // What a move cut short by the model grain's silo dying leaves behind: a copy the grain does not know of.
            var memory = grid.Client.GetGrain<Interfaces.Topology.IHostMemoryGrain>(new Interfaces.Keys.HostMemoryKey(GridFixture.HostA).ToString());
            await memory.EnsureCopy(model, grid.SyntheticModel, null, deferFill: false);
            Assert.Contains((await memory.GetStatus()).Copies, c => c.Model == model);

            // A load starts and ends: the keeper looks again and drops the stray once no load could be reading it.
            var scaled = await ScaleTo(model, 2);
            var swept = await Reliability.StatusPoll.WaitFor(grid.Model(model),
                s => s.HostCopies is [GridFixture.HostB] ? s : null, "the copy on host-a was not dropped");

            Assert.DoesNotContain((await memory.GetStatus()).Copies, c => c.Model == model);
            // The copy the model uses is untouched, and the instances still compute alike.
            Assert.Equal([GridFixture.HostB], swept.HostCopies);
            await SameTokens(deployed.Instances.Single().Shard, scaled.Instances.Single(i => i.Gpu != "host-a/gpu0").Shard);
        }
        finally
        {
            await grid.Model(model).Undeploy();
        }
    }

    private async Task<ModelStatus> Deploy(string model, params string[] gpus)
    {
        await grid.Model(model).Deploy(new DeployRequest
        {
            ModelDirectory = grid.SyntheticModel, Instances = gpus.Length, Gpus = gpus, KvBlocks = 64, Policy = LoadPolicy.Blitz,
        });
        try
        {
            var deployed = await grid.WaitUntilServing(model);
            output.WriteLine(Reliability.StatusPoll.Describe(deployed));
            return deployed;
        }
        catch
        {
            // The fixture's grid is shared by the class's tests: leave nothing deployed.
            await grid.Model(model).Undeploy();
            throw;
        }
    }

    // Scales up without naming GPUs (the rule under test chooses them) and without reviving: every instance loads anew.
    private async Task<ModelStatus> ScaleTo(string model, int instances)
    {
        await grid.Model(model).Scale(new ScaleRequest { Instances = instances, ReviveWarm = false });
        var scaled = await grid.WaitUntilServing(model);
        output.WriteLine(Reliability.StatusPoll.Describe(scaled));
        return scaled;
    }

    // The loaded instances compute what the first one does, token for token.
    private async Task SameTokens(string first, params string[] loaded)
    {
        var expected = (await Streamed.Collect(grid.Shard(first).Generate(Request))).TokenIds;
        Assert.Equal(Request.MaxTokens, expected.Length);
        foreach (string shard in loaded) Assert.Equal(expected, (await Streamed.Collect(grid.Shard(shard).Generate(Request))).TokenIds);
    }
}
