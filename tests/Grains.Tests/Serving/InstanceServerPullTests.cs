using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Serving;
using BlitzScale.Grains.Serving.Live;
using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>
/// LiveOld reserves a pulled request's KV blocks when the pull returns, before the request's first step arrives: the blocks
/// that made room for the pull go to it, not to a request routed to the instance in between.
/// </summary>
public sealed class InstanceServerPullTests(ServingModelFixture models) : IClassFixture<ServingModelFixture>
{
    private const string PartnerShard = "partner/0/0";

    [Fact]
    public async Task A_pulled_request_holds_its_blocks_from_the_pull_so_a_request_routed_after_it_waits()
    {
        // 8 blocks of 16 positions: the split request takes 4 (64 positions), the instance's own request would take all 8.
        using var engine = models.Engine(8);
        using var device = new DeviceExecutor("pull-old");
        await using var old = new InstanceServer(engine, new BatchPolicy { KvBlocks = 8, MaxRunningSequences = 4 }, device, models.EosId);
        await LivePulls.Answer(old, PartnerShard, new LivePull("split-1", FirstLayer: 2, Positions: 64));
        Assert.Equal(1, old.SplitRequests);

        // Routed here after the pull, before the split request's first step: it needs every block, so it must wait.
        int[] prompt = [1, 7, 42, 99, 5, 300, 12, 8];
        var own = new ServingRequest("own", prompt, 128 - prompt.Length, SamplingOptions.Greedy, StopAtEos: false);
        var ownTokens = ServingModelFixture.Collect(old.GenerateAsync(own));

        // The first step: its prompt's hidden states after layers [0, 2) (zeros do: only the order is under test).
        var first = new SplitWork("split-1", 0, 5, 2, new HiddenStates(5, engine.Config.HiddenSize), SamplingOptions.Greedy, 64, PartnerShard);
        int token = await old.RunSplitAsync(first).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.InRange(token, 0, engine.Config.VocabSize - 1);
        Assert.False(ownTokens.IsCompleted);
        Assert.Equal(1, old.Stats.Waiting);
        Assert.Equal(4, old.Stats.KvBlocksUsed);

        old.EndSplit("split-1");
        var (ids, _) = await ownTokens.WaitAsync(TimeSpan.FromSeconds(60));
        var alone = new Generator(models.Model.Engine, models.EosId).Generate(prompt, new GenerationOptions(own.MaxTokens, SamplingOptions.Greedy, StopAtEos: false)).OutputIds;
        Assert.Equal(alone, ids);
        Assert.Equal(0, old.SplitRequests);
    }

    [Theory]
    [InlineData(0, 64, "split layer 0 is outside")]
    [InlineData(99, 64, "split layer 99 is outside")]
    [InlineData(2, 100_000, "100000 positions do not fit the context")]
    public async Task A_pull_that_cannot_run_here_reserves_nothing_and_its_step_is_refused_with_the_reason(int firstLayer, int positions, string reason)
    {
        using var engine = models.Engine(8);
        using var device = new DeviceExecutor("pull-bad");
        await using var old = new InstanceServer(engine, new BatchPolicy { KvBlocks = 8, MaxRunningSequences = 4 }, device, models.EosId);
        await LivePulls.Answer(old, PartnerShard, new LivePull("split-bad", firstLayer, positions));

        Assert.Equal(0, old.SplitRequests);
        var step = new SplitWork("split-bad", 0, 5, firstLayer, new HiddenStates(5, engine.Config.HiddenSize), SamplingOptions.Greedy, positions, PartnerShard);
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => old.RunSplitAsync(step));
        Assert.Contains(reason, refused.Message);
        Assert.Contains("split-bad", refused.Message);
        Assert.Equal(0, old.Stats.KvBlocksUsed);
    }
}
