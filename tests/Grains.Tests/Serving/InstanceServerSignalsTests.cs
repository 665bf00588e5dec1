using BlitzScale.Grains.Serving;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>What an instance reports to the autoscaler: prompt tokens prefilled and their step time, recent TTFT and TBT.</summary>
public sealed class InstanceServerSignalsTests(ServingModelFixture models) : IClassFixture<ServingModelFixture>
{
    [Fact]
    public async Task Every_prompt_token_is_counted_once_with_step_time_and_the_latencies_are_recorded()
    {
        int[][] prompts = [[1, .. Enumerable.Range(300, 20)], [1, .. Enumerable.Range(400, 9)], [1, 500, 501]];
        using var device = new DeviceExecutor("serving-signals");
        using var serving = models.Engine(32);
        await using var server = new InstanceServer(serving, new BatchPolicy { MaxBatchTokens = 16, MaxRunningSequences = 16, KvBlocks = 32 }, device, models.EosId);
        Assert.Equal((0L, 0.0, 0.0, 0.0), (server.Stats.PrefilledTokens, server.Stats.PrefillSeconds, server.Stats.RecentTtftMs, server.Stats.RecentTbtMs));

        await Task.WhenAll(prompts.Select((p, i) => ServingModelFixture.Collect(
            server.GenerateAsync(new ServingRequest($"s{i}", p, 5, SamplingOptions.Greedy, StopAtEos: false)))));

        var stats = server.Stats;
        Assert.Equal(prompts.Sum(p => (long)p.Length), stats.PrefilledTokens);
        Assert.True(stats.PrefillSeconds > 0, "prefill steps took no time");
        Assert.True(stats.RecentTtftMs > 0 && stats.RecentTbtMs > 0, $"ttft {stats.RecentTtftMs} ms, tbt {stats.RecentTbtMs} ms");
        Assert.Equal((0L, 0L), (stats.QueuedPrefillTokens, stats.RunningDecodeTokens));
    }
}
