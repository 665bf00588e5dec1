using BlitzScale.Cli.Replay;
using BlitzScale.Client;
using BlitzScale.Grains.Interfaces.Serving;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Cli.Tests.Replay;

/// <summary>The sampler keeps every autoscaler decision of the replayed model once, in order, from the overlapping windows the status shows.</summary>
public sealed class ClusterSamplerTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Decisions_seen_in_successive_statuses_are_kept_once_each_in_the_order_they_were_made()
    {
        var up = Decision(0, "up", 1, 3);
        var down = Decision(1, "down", 3, 2);
        var release = Decision(2, "release", 2, 2);
        var other = Decision(0, "up", 1, 2);
        var reads = new Queue<ClusterStatus>([Status(("m", [up]), ("n", [other])), Status(("m", [up, down])), Status(("m", [up, down, release]))]);
        var time = TimeProvider.System;
        var sampler = new ClusterSampler(_ => Task.FromResult(reads.Dequeue()), "m", time, time.GetTimestamp(), new ReplayCounters());

        for (int i = 0; i < 3; i++) await sampler.Sample(CancellationToken.None);

        Assert.Equal([up, down, release], sampler.Decisions);
        Assert.Equal(3, sampler.Samples.Count);
    }

    [Fact]
    public async Task A_model_without_an_autoscaler_has_no_decisions_and_a_failed_read_is_counted_not_fatal()
    {
        var time = TimeProvider.System;
        int calls = 0;
        var sampler = new ClusterSampler(_ => ++calls == 1 ? Task.FromResult(Status(("m", null))) : throw new TimeoutException("no answer"), "m", time,
            time.GetTimestamp(), new ReplayCounters());

        await sampler.Sample(CancellationToken.None);
        await sampler.Sample(CancellationToken.None);

        Assert.Empty(sampler.Decisions);
        Assert.Single(sampler.Samples);
        Assert.Equal(1, sampler.FailedReads);
    }

    [Fact]
    public async Task An_instance_that_loads_during_the_replay_is_recorded_with_its_source_time_and_when_it_served()
    {
        var sampler = await SampledEverySecond(
            Instances(Serving0),
            Instances(Serving0, Instance(1, "h2/gpu0", InstanceState.Loading, 0, null)),
            Instances(Serving0, Instance(1, "h2/gpu0", InstanceState.LiveNew, 0, null)),
            Instances(Serving0, Instance(1, "h2/gpu0", InstanceState.Serving, 3.78, "h1/gpu0 (Network)")),
            Instances(Serving0, Instance(1, "h2/gpu0", InstanceState.Draining, 3.78, "h1/gpu0 (Network)")));

        // The instance serving at the start is not a load of this replay; the new one is seen at 1 s and serving at 3 s.
        var load = Assert.Single(sampler.Loads);
        Assert.Equal(new ReplayLoad("m/1/0", "h2/gpu0", 1, 3, 3.78, "h1/gpu0 (Network)", 1000), load);
    }

    [Fact]
    public async Task A_load_keeps_the_latest_account_of_what_it_served_live_while_loading()
    {
        var sampler = await SampledEverySecond(
            Instances(Serving0),
            Instances(Serving0, Instance(1, "h2/gpu0", InstanceState.LiveNew, 0, null) with { LiveServed = "2 requests: 1 split" }),
            Instances(Serving0, Instance(1, "h2/gpu0", InstanceState.Serving, 3.78, "h1/gpu0 (Network)") with { LiveServed = "5 requests: 4 split" }),
            Instances(Serving0, Instance(1, "h2/gpu0", InstanceState.Serving, 3.78, "h1/gpu0 (Network)")));

        // The last account it gave; a later sample without one (a status read that lost it) does not erase it.
        Assert.Equal("5 requests: 4 split", Assert.Single(sampler.Loads).LiveServed);
    }

    [Fact]
    public async Task A_load_first_seen_without_its_gpu_takes_it_from_a_later_sample()
    {
        var sampler = await SampledEverySecond(
            Instances(),
            Instances(Instance(1, "", InstanceState.Loading, 0, null)),
            Instances(Instance(1, "h2/gpu1", InstanceState.Serving, 0.35, "h2/gpu0 (NvLink)")));

        Assert.Equal(new ReplayLoad("m/1/0", "h2/gpu1", 1, 2, 0.35, "h2/gpu0 (NvLink)", 1000), Assert.Single(sampler.Loads));
    }

    // Instance 0, serving from before the replay's first sample.
    private static readonly InstanceStatus Serving0 = Instance(0, "h1/gpu0", InstanceState.Serving, 8.8, "h1/memory (HostToDevice)");

    // A sampler that read these statuses one a second, from the replay's start.
    private static async Task<ClusterSampler> SampledEverySecond(params ClusterStatus[] statuses)
    {
        var time = new FakeTimeProvider(Start);
        var reads = new Queue<ClusterStatus>(statuses);
        var sampler = new ClusterSampler(_ => Task.FromResult(reads.Dequeue()), "m", time, time.GetTimestamp(), new ReplayCounters());
        for (int i = 0; i < statuses.Length; i++)
        {
            await sampler.Sample(CancellationToken.None);
            time.Advance(TimeSpan.FromSeconds(1));
        }
        return sampler;
    }

    private static InstanceStatus Instance(int index, string gpu, InstanceState state, double loadSeconds, string? from) =>
        new(index, $"m/{index}/0", gpu, state, state == InstanceState.Loading ? 0 : 12, 12, 0, 0, 0, 64, 0, 0, null, loadSeconds, from,
            LoadedBytes: state == InstanceState.Loading ? 0 : 1000);

    private static ClusterStatus Instances(params InstanceStatus[] instances) =>
        new([], [new ModelStatus("m", "/d", [.. instances], 0, 0)], []);

    private static ScalingRecord Decision(int second, string action, int from, int to) =>
        new(Start.AddSeconds(second), action, from, to, $"{action} because of test load {second}", "signals");

    private static ClusterStatus Status(params (string Model, ScalingRecord[]? Decisions)[] models) =>
        new([], [.. models.Select(m => new ModelStatus(m.Model, "/d", [], 0, 0, Scaling: m.Decisions))], []);
}
