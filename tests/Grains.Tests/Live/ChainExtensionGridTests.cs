using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Tests.Reliability;
using BlitzScale.Native.Engine;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests.Live;

/// <summary>
/// A scale-up asked for while another still loads joins that load's chain (<c>ScaleUpSources</c>): host-b's instance loads
/// slowly from host-a's, and host-c's, asked for next, fetches from host-b's as its blobs land instead of sharing host-a's link.
/// Its greedy output equals stories260K's reference.
/// </summary>
public sealed class ChainExtensionGridTests(SlowChainFixture grid) : IClassFixture<SlowChainFixture>
{
    private const string Name = "chain-extension";
    private const string Source = GridFixture.HostA + "/gpu0";
    private const string First = GridFixture.HostB + "/gpu0";
    private const string Second = GridFixture.HostC + "/gpu0";

    [Fact]
    public async Task A_scale_up_during_a_load_is_fed_by_the_loading_instance_and_serves_exactly()
    {
        var model = grid.Model(Name);
        await model.Deploy(new DeployRequest { ModelDirectory = RepositoryPaths.ShippedStories260K, Instances = 1, Gpus = [Source], KvBlocks = 64, Policy = LoadPolicy.Blitz });
        await grid.WaitUntilServing(Name);

        await model.Scale(new ScaleRequest { Instances = 2, Gpus = [First] });
        var scaled = await model.Scale(new ScaleRequest { Instances = 3, Gpus = [Second] });
        var first = scaled.Instances.Single(i => i.Gpu == First);
        Assert.NotEqual(InstanceState.Serving, first.State);
        var second = scaled.Instances.Single(i => i.Gpu == Second);

        Assert.Equal([First], second.Sources);
        var served = await StatusPoll.WaitFor(model, s => s.Instances.All(i => i.State == InstanceState.Serving) ? s : null, "the new instances never served");
        Assert.StartsWith(First, served.Instances.Single(i => i.Gpu == Second).LoadedFrom);

        var golden = GoldenCase.Load(Path.Combine(RepositoryPaths.ShippedStories260K, "goldens.jsonl"))[0];
        var request = new GenerateRequest { PromptIds = [.. golden.PromptIds], MaxTokens = golden.Steps + 1 - golden.PromptIds.Length, StopAtEos = false };
        var result = await Streamed.Collect(grid.Shard(second.Shard).Generate(request)).WaitAsync(StatusPoll.Limit);
        Assert.Equal(golden.Ids, result.AllIds);
        await model.Undeploy();
    }
}
