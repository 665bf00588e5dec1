using BlitzScale.Grains.Interfaces.Serving;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>The host copy on host-b, with the source: host-a's instance is the one source left off host-b.</summary>
public sealed class PeerFallbackFixture : ModelGrainOnSourceFixture
{
    protected override string CopyHost => HostB;

    protected override string Prefix => "peerfb";
}

/// <summary>
/// Issue 14, failures while loading (bench chaos, fault seeds 18 and 20): a scale-up that names its source (as the bench does)
/// loses it, its host copy and the model grain in one silo. The shard's own fallbacks take over, and they are drawn from every
/// GPU that holds the model, not only the sources the request named: host-a's instance, at the link's rate, where the fallbacks
/// used to hold only storage. In process the model grain, activated again, usually plans the load before the fallback's grace
/// ends (from host-a too, possibly from the instance it loads on host-a/gpu1 to restore the lost one); so the fallbacks are read
/// from the shard before the kill, and after it the load must end fed from a GPU of host-a, never from storage, whichever path
/// planned it.
/// </summary>
public sealed class PeerFallbackTests(PeerFallbackFixture grid, ITestOutputHelper output) : IClassFixture<PeerFallbackFixture>
{
    private const string Peer = GridFixture.HostA + "/gpu0";
    private const string Source = GridFixture.HostB + "/gpu0";
    private const int MaxTokens = 24;
    private const int KeptLayers = 2;
    private static readonly int[] Prompt = [1, 17, 42, 99, 7, 301];

    [Fact]
    public async Task A_load_that_loses_the_named_source_with_the_model_grain_falls_back_to_another_gpu_holding_the_model()
    {
        var model = grid.Model(grid.ModelName);
        await model.Deploy(new DeployRequest { ModelDirectory = grid.ModelDirectory, Instances = 2, Gpus = [Peer, Source], KvBlocks = 64, Policy = LoadPolicy.Blitz });
        var deployed = await grid.WaitUntilServing(grid.ModelName);
        Assert.Equal([GridFixture.HostB], deployed.HostCopies);
        var request = new GenerateRequest { PromptIds = Prompt, MaxTokens = MaxTokens, StopAtEos = false };
        var noFault = (await Streamed.Collect(grid.Client.GenerateAsync(grid.ModelName, request))).TokenIds;

        var (target, loading) = await grid.LoadFromSourceUntil(3, Source, KeptLayers);
        var shard = grid.Shard(target);
        // Its first fallback is host-a's GPU (the host copy shares host-b with the source), storage the last.
        var before = await shard.GetStatus();
        Assert.Equal([Source], before.Sources);
        var fallbacks = before.Fallbacks ?? [];
        output.WriteLine($"fallbacks: {string.Join("; ", fallbacks)}");
        Assert.Equal(2, fallbacks.Count);
        Assert.StartsWith(Peer, fallbacks[0]);
        Assert.DoesNotContain(GridFixture.HostB, fallbacks[0]);
        Assert.Equal("storage", fallbacks[1]);

        await grid.KillSource();
        var served = await StatusPoll.Until(async () => await shard.GetStatus() is { State: InstanceState.Serving } s ? s : null,
            $"{target} never served after {Source} died with the model grain's silo and its host copy");
        output.WriteLine($"{served.Shard} loaded from {served.LoadedFrom}: kept {served.KeptBytes}, fetched {served.FetchedBytes} of {served.LoadedBytes} bytes");
        // host-a's GPU: gpu0, or gpu1 when the model grain restored the lost instance's count there first and planned from it.
        Assert.StartsWith($"{GridFixture.HostA}/gpu", served.LoadedFrom);
        Assert.InRange(served.KeptBytes, loading.LoadedBytes, served.LoadedBytes - 1);
        Assert.Equal(served.LoadedBytes, served.KeptBytes + served.FetchedBytes);
        Assert.Equal(noFault, (await Streamed.Collect(shard.Generate(request)).WaitAsync(StatusPoll.Limit)).TokenIds);
        await model.Undeploy();
    }
}
