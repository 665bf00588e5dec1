using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Serving;
using BlitzScale.Grains.Serving.Live;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>
/// LiveOld runs pulled prompts' tails within its step budget, the first of them even beyond it: two tails waiting together
/// run in two steps, so the split requests' decode steps are not held behind every tail at once.
/// </summary>
public sealed class InstanceServerTailBudgetTests(ServingModelFixture models) : IClassFixture<ServingModelFixture>
{
    private const string PartnerShard = "partner/0/0";
    private const int SplitLayer = 2;

    [Fact]
    public async Task Two_tails_waiting_together_run_in_separate_steps_when_both_do_not_fit_the_budget()
    {
        using var inner = models.Engine(16);
        var engine = new GatedEngine(inner);
        using var device = new DeviceExecutor("tail-budget");
        // A budget of 8 tokens: one 5-token tail fits beside a decode step, two do not.
        await using var old = new InstanceServer(engine, new BatchPolicy { KvBlocks = 16, MaxRunningSequences = 4, MaxBatchTokens = 8 }, device, models.EosId);
        await LivePulls.Answer(old, PartnerShard, new LivePull("split-1", SplitLayer, 32), new LivePull("split-2", SplitLayer, 32));
        Assert.Equal(2, old.SplitRequests);

        // The instance's own request holds the device in its first step while both tails arrive.
        int[] prompt = [1, 7, 42, 99];
        var own = ServingModelFixture.Collect(old.GenerateAsync(new ServingRequest("own", prompt, 6, SamplingOptions.Greedy, StopAtEos: false)));
        await engine.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        var tails = new[] { "split-1", "split-2" }.Select(id => old.RunSplitAsync(
            new SplitWork(id, 0, 5, SplitLayer, new HiddenStates(5, inner.Config.HiddenSize), SamplingOptions.Greedy, 32, PartnerShard))).ToList();
        engine.Release();
        await Task.WhenAll(tails).WaitAsync(TimeSpan.FromSeconds(30));

        // Each layer pass saw at most one 5-row tail, and both tails ran.
        var tailRows = engine.Batches.Select(b => b.Count(s => s.FirstLayer == SplitLayer && s.Count == 5)).ToList();
        Assert.All(tailRows, rows => Assert.InRange(rows, 0, 1));
        Assert.True(tailRows.Count(r => r == 1) >= 2, $"tails seen per pass: {string.Join(", ", tailRows)}");
        old.EndSplit("split-1");
        old.EndSplit("split-2");
        await own.WaitAsync(TimeSpan.FromSeconds(60));
    }
}
