using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Serving;
using BlitzScale.Grains.Serving.Live;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>
/// A LiveOld keeps its pair's pace: it pulls while a step of its own runs, reserving each pulled request's blocks at once, and a
/// pulled prompt's tail runs ahead of its own prompts' chunks.
/// </summary>
public sealed class InstanceServerLiveOldPaceTests(ServingModelFixture models) : IClassFixture<ServingModelFixture>
{
    private const string PartnerShard = "partner/0/0";
    private const int SplitLayer = 2;
    // A budget of 8 tokens: a 20-token prompt takes three steps' chunks.
    private static readonly BatchPolicy Policy = new() { KvBlocks = 16, MaxRunningSequences = 4, MaxBatchTokens = 8 };

    [Fact]
    public async Task Pulls_start_while_a_step_runs_and_reserve_their_blocks_at_once()
    {
        using var inner = models.Engine(16);
        var engine = new GatedEngine(inner);
        using var device = new DeviceExecutor("pace-pulls");
        await using var old = new InstanceServer(engine, Policy, device, models.EosId);
        var own = ServingModelFixture.Collect(old.GenerateAsync(new ServingRequest("own", [1, 7, 42, 99], 4, SamplingOptions.Greedy, StopAtEos: false)));
        await engine.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        int blocksBefore = old.Stats.KvBlocksUsed;

        try
        {
            // The device is held in the own request's first step: both pulls are asked and answered meanwhile, one after the other.
            await LivePulls.Answer(old, PartnerShard, new LivePull("split-1", SplitLayer, 32), new LivePull("split-2", SplitLayer, 32));

            Assert.Single(engine.Batches);
            Assert.Equal(2, old.SplitRequests);
            Assert.True(old.Stats.KvBlocksUsed > blocksBefore, $"blocks used {old.Stats.KvBlocksUsed}, before the pulls {blocksBefore}");
            var pulls = old.Pulls;
            Assert.Equal((2, 0), (pulls.Pulled, pulls.Empty));
            Assert.Null(pulls.HeldForRoom);
        }
        finally
        {
            // Released whatever the outcome: a held step would keep the server's disposal waiting for good.
            engine.Release();
        }
        old.EndSplit("split-1");
        old.EndSplit("split-2");
        await own.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_ready_tail_runs_before_the_instances_own_prompt_chunks()
    {
        using var inner = models.Engine(16);
        var engine = new GatedEngine(inner);
        using var device = new DeviceExecutor("pace-tails");
        await using var old = new InstanceServer(engine, Policy, device, models.EosId);
        await LivePulls.Answer(old, PartnerShard, new LivePull("split-1", SplitLayer, 32));
        int[] prompt = [.. Enumerable.Range(1, 20)];
        var own = ServingModelFixture.Collect(old.GenerateAsync(new ServingRequest("own", prompt, 4, SamplingOptions.Greedy, StopAtEos: false)));
        await engine.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        Task<int> tail;
        try
        {
            tail = old.RunSplitAsync(new SplitWork("split-1", 0, 5, SplitLayer, new HiddenStates(5, inner.Config.HiddenSize), SamplingOptions.Greedy, 32, PartnerShard));
        }
        finally
        {
            engine.Release();
        }
        await tail.WaitAsync(TimeSpan.FromSeconds(30));
        old.EndSplit("split-1");
        var tokens = await own.WaitAsync(TimeSpan.FromSeconds(60));

        // The pass after the held one runs the tail alone: the own prompt's next chunk waits a step.
        var passes = engine.Batches;
        int withTail = passes.ToList().FindIndex(p => p.Any(s => s.FirstLayer == SplitLayer && s.Count == 5));
        Assert.Equal(1, withTail);
        Assert.DoesNotContain(passes[withTail], s => s.FirstLayer == 0 && s.Count > 1);
        // The own request's chunks all ran, later, and it finished.
        Assert.Equal(20, passes.SelectMany(p => p).Where(s => s.FirstLayer == 0 && s.Count > 1).Sum(s => s.Count));
        Assert.Equal(4, tokens.Ids.Length);
    }
}
