using System.Globalization;
using BlitzScale.Grains.Interfaces.Serving;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests.Autoscaling;

/// <summary>
/// The autoscaler in an in-process cluster on timed GPUs: a burst scales a model up, its end drains the new instances
/// into Warm one at a time, and later load revives them; a model scaled to zero holds a request while it revives.
/// Every wait is on the model's events, bounded by <see cref="ModelEventLog"/>'s patience.
/// </summary>
public sealed class AutoscalerGridTests(AutoscaleFixture grid, ITestOutputHelper output) : IClassFixture<AutoscaleFixture>
{
    // 64 prompt tokens + 64 generated = 128 positions = 8 KV blocks: 8 requests fill an instance of 64 blocks.
    private const int KvBlocks = 64;
    private static readonly int[] Prompt = [1, .. Enumerable.Range(100, 63)];

    [Fact]
    public async Task A_burst_scales_up_its_end_drains_into_Warm_and_new_load_revives_the_Warm_instances()
    {
        const string name = "autoscale-burst";
        await using var events = await ModelEventLog.Follow(grid.Client, name);
        var model = grid.Model(name);
        var deployed = await DeployOne(events, name,
            new AutoscaleSettings { MinInstances = 1, MaxInstances = 3, TickIntervalMs = 50, WarmUpMs = 0, PrefillWindowMs = 100, WarmKeepMs = 600_000 });
        Assert.Equal(3, deployed.Autoscale!.MaxInstances);

        // The burst: four instances' worth of KV blocks at once.
        var burst = Burst(name, 32);
        var up = await events.WaitFor(e => e.Kind == ModelEventKind.Scaled && e.ScaledTo > e.ScaledFrom);
        output.WriteLine(up.Detail);
        Assert.Equal(1, up.ScaledFrom);
        var served = await Task.WhenAll(burst);
        Assert.All(served, s => Assert.Equal(64, s.TokenIds.Length));

        // The end of the burst: back to the minimum, one drain at a time, each into Warm.
        var down = await events.WaitFor(e => e.Kind == ModelEventKind.Scaled && e.ScaledTo == 1 && e.ScaledFrom == 2);
        output.WriteLine(down.Detail);
        var status = await model.GetStatus();
        var scaled = status.Scaling!;
        foreach (var record in scaled) output.WriteLine($"{record.Action} {record.From} → {record.To}: {record.Reason}");
        Assert.All(scaled.Where(r => r.Action == "down"), r => Assert.Equal(r.From - 1, r.To));
        Assert.All(scaled, r => Assert.Null(r.Error));
        int grown = scaled.Where(r => r.Action == "up").Max(r => r.To);
        Assert.True(grown >= 2, $"the burst grew the model to {grown} instance(s)");
        var warm = await WaitForWarm(events, status, grown - 1);
        Assert.Equal(grown - 1, warm.Count);

        // New load revives the Warm instances before loading any new one.
        var before = events.Events.ToHashSet<ModelEvent>(ReferenceEqualityComparer.Instance);
        var second = Burst(name, 32);
        var again = await events.WaitFor(e => e.Kind == ModelEventKind.Scaled && e.ScaledTo > e.ScaledFrom && !before.Contains(e));
        output.WriteLine(again.Detail);
        Assert.Equal(1, again.ScaledFrom);
        var revived = await events.WaitFor(e => e.Kind == ModelEventKind.Revived && !before.Contains(e));
        Assert.Contains(revived.Shard, warm);
        await Task.WhenAll(second);
        // The Warm instances cover the scale-up (at most 3 - 1 = 2 new): nothing was planned to load.
        Assert.True(again.ScaledTo - again.ScaledFrom <= warm.Count, again.Detail);
        Assert.DoesNotContain(events.Events, e => e.Kind == ModelEventKind.Planned && !before.Contains(e));
        await model.Undeploy();
    }

    [Fact]
    public async Task A_burst_before_any_measurement_scales_up_on_the_prefill_load_by_the_instances_rating_at_start()
    {
        const string name = "autoscale-rated";
        await using var events = await ModelEventLog.Follow(grid.Client, name);
        var model = grid.Model(name);
        // A warm-up longer than the test: no sample is ever measured, so only the rating can show the prefill load. KV blocks
        // enough that the burst's decode load stays under its threshold (32 × 8 of 1024 blocks).
        await DeployOne(events, name,
            new AutoscaleSettings { MinInstances = 1, MaxInstances = 2, TickIntervalMs = 50, WarmUpMs = 600_000, PrefillWindowMs = 100 }, kvBlocks: 1024);
        double rated = (await model.GetStatus()).Instances.Single().RatedPrefillTokensPerSecond;
        Assert.True(rated > 0, $"rated at {rated} tokens/s");

        var burst = Burst(name, 32);
        var up = await events.WaitFor(e => e.Kind == ModelEventKind.Scaled && e.ScaledTo > e.ScaledFrom);
        output.WriteLine(up.Detail);

        Assert.Equal(1, up.ScaledFrom);
        Assert.Contains("prefill load", up.Detail);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"capacity {rated:F0} tokens/s rated"), up.Detail);
        Assert.All(await Task.WhenAll(burst), s => Assert.Equal(64, s.TokenIds.Length));
        await model.Undeploy();
    }

    [Fact]
    public async Task A_model_scaled_to_zero_holds_a_request_while_the_autoscaler_revives_its_Warm_instance()
    {
        const string name = "autoscale-zero";
        await using var events = await ModelEventLog.Follow(grid.Client, name);
        var model = grid.Model(name);
        var deployed = await DeployOne(events, name,
            new AutoscaleSettings { MinInstances = 0, MaxInstances = 1, TickIntervalMs = 50, IdleTimeoutMs = 200, WarmKeepMs = 600_000 });
        string shard = deployed.Instances[0].Shard;

        var zero = await events.WaitFor(e => e.Kind == ModelEventKind.Scaled && e.ScaledFrom == 1 && e.ScaledTo == 0);
        output.WriteLine(zero.Detail);
        await events.WaitFor(ModelEventKind.Warm, shard);

        var served = await Streamed.Collect(grid.Client.GenerateAsync(name, new GenerateRequest { PromptIds = Prompt, MaxTokens = 8, StopAtEos = false }));
        Assert.Equal(shard, served.Instance);
        Assert.Equal(8, served.TokenIds.Length);
        await events.WaitFor(ModelEventKind.Revived, shard);
        var up = await events.WaitFor(e => e.Kind == ModelEventKind.Scaled && e.ScaledFrom == 0 && e.ScaledTo == 1);
        Assert.Contains("held with no instance", up.Detail);
        await model.Undeploy();
    }

    [Fact]
    public async Task A_Warm_instance_past_its_keep_gives_its_GPU_back_and_the_next_request_loads_a_new_one()
    {
        const string name = "autoscale-release";
        await using var events = await ModelEventLog.Follow(grid.Client, name);
        var model = grid.Model(name);
        var deployed = await DeployOne(events, name,
            new AutoscaleSettings { MinInstances = 0, MaxInstances = 1, TickIntervalMs = 50, IdleTimeoutMs = 200, WarmKeepMs = 0 });
        string shard = deployed.Instances[0].Shard;

        var released = await events.WaitFor(e => e.Kind == ModelEventKind.Scaled && e.Shard == shard && e.Detail!.StartsWith("release", StringComparison.Ordinal));
        output.WriteLine(released.Detail);
        var status = await model.GetStatus();
        Assert.Empty(status.Instances);
        Assert.Contains(status.Scaling!, r => r.Action == "release");

        // Nothing Warm is left to revive: the held request makes the autoscaler load a new instance, which serves it.
        var before = events.Events.ToHashSet<ModelEvent>(ReferenceEqualityComparer.Instance);
        var served = await Streamed.Collect(grid.Client.GenerateAsync(name, new GenerateRequest { PromptIds = Prompt, MaxTokens = 8, StopAtEos = false }));
        Assert.NotEqual(shard, served.Instance);
        Assert.Equal(8, served.TokenIds.Length);
        // Events arrive on the stream after the call that caused them: wait for the load's plan rather than look for it now.
        await events.WaitFor(e => e.Kind == ModelEventKind.Planned && !before.Contains(e));
        await model.Undeploy();
    }

    [Fact]
    public async Task Autoscale_settings_out_of_range_are_refused_at_deploy_naming_the_field()
    {
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => grid.Model("autoscale-invalid").Deploy(new DeployRequest
        {
            ModelDirectory = grid.SyntheticModel, Instances = 1, Autoscale = new AutoscaleSettings { PrefillScaleUp = 0.4 },
        }));
        Assert.Contains("PrefillScaleDown: expected below PrefillScaleUp (0.4), found 0.5", refused.Message);

        var outside = await Assert.ThrowsAsync<ArgumentException>(() => grid.Model("autoscale-invalid").Deploy(new DeployRequest
        {
            ModelDirectory = grid.SyntheticModel, Instances = 3, Autoscale = new AutoscaleSettings { MaxInstances = 2 },
        }));
        Assert.Contains("instances: with the autoscaler, expected 1 to 2 (its minimum to maximum), found 3", outside.Message);
    }

    // One instance of the synthetic model (blitz-fast loading) under the autoscaler's settings, once it serves.
    private async Task<ModelStatus> DeployOne(ModelEventLog events, string name, AutoscaleSettings settings, int kvBlocks = KvBlocks)
    {
        var deployed = await grid.Model(name).Deploy(new DeployRequest
        {
            ModelDirectory = grid.SyntheticModel, Instances = 1, KvBlocks = kvBlocks, Policy = LoadPolicy.BlitzFast, Autoscale = settings,
        });
        await events.Serving([deployed.Instances[0].Shard]);
        return deployed;
    }

    private List<Task<Streamed>> Burst(string model, int requests) =>
        [.. Enumerable.Range(0, requests).Select(_ => Streamed.Collect(grid.Client.GenerateAsync(model,
            new GenerateRequest { PromptIds = Prompt, MaxTokens = 64, StopAtEos = false })))];

    // The shards of the drained instances, once each has said it is Warm.
    private static async Task<IReadOnlyList<string>> WaitForWarm(ModelEventLog events, ModelStatus status, int count)
    {
        var warm = new List<string>();
        foreach (var instance in status.Instances.Where(i => i.State is InstanceState.Warm or InstanceState.Draining))
        {
            await events.WaitFor(ModelEventKind.Warm, instance.Shard);
            warm.Add(instance.Shard);
        }
        Assert.Equal(count, warm.Count);
        return warm;
    }
}
