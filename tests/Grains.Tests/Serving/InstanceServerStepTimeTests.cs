using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Serving;
using BlitzScale.Grains.Serving.Live;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>An instance counts the time its device spent in steps, and a LiveOld the part of it its split requests' tails took.</summary>
public sealed class InstanceServerStepTimeTests(ServingModelFixture models) : IClassFixture<ServingModelFixture>
{
    private const string PartnerShard = "partner/0/0";
    private const int SplitLayer = 2;

    [Fact]
    public async Task Steps_of_its_own_requests_count_as_step_time_and_none_as_split_time()
    {
        using var engine = models.Engine(16);
        using var device = new DeviceExecutor("step-time");
        await using var server = new InstanceServer(engine, new BatchPolicy { KvBlocks = 16, MaxRunningSequences = 4, MaxBatchTokens = 8 }, device, models.EosId);
        Assert.Equal(0, server.Stats.StepSeconds);

        await ServingModelFixture.Collect(server.GenerateAsync(new ServingRequest("own", [1, 7, 42, 99], 4, SamplingOptions.Greedy, StopAtEos: false)));

        var stats = server.Stats;
        Assert.True(stats.StepSeconds > 0, $"step seconds {stats.StepSeconds}");
        Assert.Equal(0, stats.SplitStepSeconds);
    }

    [Fact]
    public async Task A_LiveOld_counts_its_split_tails_share_of_each_step_within_its_step_time()
    {
        using var engine = models.Engine(16);
        using var device = new DeviceExecutor("split-step-time");
        await using var old = new InstanceServer(engine, new BatchPolicy { KvBlocks = 16, MaxRunningSequences = 4, MaxBatchTokens = 64 }, device, models.EosId);
        await LivePulls.Answer(old, PartnerShard, new LivePull("split-1", SplitLayer, 32));

        await old.RunSplitAsync(new SplitWork("split-1", 0, 5, SplitLayer, new HiddenStates(5, engine.Config.HiddenSize), SamplingOptions.Greedy, 32, PartnerShard))
            .WaitAsync(TimeSpan.FromSeconds(30));

        // A step of the tail alone: all of its time was the split request's.
        var stats = old.Stats;
        Assert.True(stats.SplitStepSeconds > 0, $"split step seconds {stats.SplitStepSeconds}");
        Assert.Equal(stats.StepSeconds, stats.SplitStepSeconds, 9);
        old.EndSplit("split-1");

        await ServingModelFixture.Collect(old.GenerateAsync(new ServingRequest("own", [1, 7, 42, 99], 3, SamplingOptions.Greedy, StopAtEos: false)));
        var after = old.Stats;
        Assert.Equal(stats.SplitStepSeconds, after.SplitStepSeconds, 9);
        Assert.True(after.StepSeconds > stats.StepSeconds);
    }
}
