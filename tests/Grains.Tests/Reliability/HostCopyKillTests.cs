using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>
/// A grid whose host-b (Silo_1, the silo the test kills) has more memory for model copies than host-a, so a copy placed by
/// memory alone would go there. Two model grains live on Silo_0 (host-a), which survives: one deployed with <c>blitz</c>,
/// one with <c>sllm</c> (each host that loads keeps its own copy), each with its only instance on host-b.
/// </summary>
public sealed class HostCopyKillFixture : SiloKillFixture
{
    /// <summary>The blitz model's name: the first of "copy0", "copy1", … whose grain activated on Silo_0.</summary>
    public string BlitzModel { get; private set; } = "";

    /// <summary>The sllm model's name: the first of "own0", "own1", … whose grain activated on Silo_0.</summary>
    public string SllmModel { get; private set; } = "";

    protected override void ConfigureHost(GpuHostOptions host) => host.HostMemoryGiB = host.Host == HostB ? 1 : 0.5;

    protected override async Task OnDeployedAsync()
    {
        BlitzModel = await NameOnSilo("Silo_0", "copy");
        SllmModel = await NameOnSilo("Silo_0", "own");
    }
}

/// <summary>
/// Issue 14, failures while loading: the silo of a model's only instance dying. The blitz model's one host copy was kept off
/// that host at deploy (<see cref="Scaling.Caching.CopyKeeper"/>), so it survives: the count is restored on host-a from host-a's
/// memory. The sllm model loses its instance and its own copy; its restored instance makes its copy again from storage in
/// host-a's memory. Then a silo joins (it plays host-b again): the blitz copy, now beside the only instance, moves there. The new instances
/// serve exactly the no-fault output (greedy).
/// </summary>
public sealed class HostCopyKillTests(HostCopyKillFixture grid, ITestOutputHelper output) : IClassFixture<HostCopyKillFixture>
{
    private const string Doomed = GridFixture.HostB + "/gpu0";
    private static readonly GenerateRequest Request = new() { PromptIds = [1, 17, 42, 99, 7, 301], MaxTokens = 24, StopAtEos = false };

    [Fact]
    public async Task The_only_instances_silo_dying_leaves_the_blitz_copy_and_a_joining_silo_takes_it_off_the_instances_host()
    {
        var models = new[] { (Name: grid.BlitzModel, Policy: LoadPolicy.Blitz), (Name: grid.SllmModel, Policy: LoadPolicy.Sllm) };
        var noFault = new Dictionary<string, int[]>();
        foreach (var (name, policy) in models)
        {
            await grid.Model(name).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Instances = 1, Gpus = [Doomed], KvBlocks = 64, Policy = policy });
            var status = await grid.WaitUntilServing(name);
            output.WriteLine($"{name} ({policy}) before the kill: {StatusPoll.Describe(status)}");
            // host-b has the most memory, but it holds blitz's only instance: its copy goes to host-a. sllm's is its instance's own.
            Assert.Equal([policy == LoadPolicy.Blitz ? GridFixture.HostA : GridFixture.HostB], status.HostCopies);
            noFault[name] = (await Streamed.Collect(grid.Client.GenerateAsync(name, Request))).TokenIds;
            Assert.Equal(Request.MaxTokens, noFault[name].Length);
        }

        await grid.Cluster.KillSiloAsync(grid.Cluster.Silos.Single(s => s.Name == "Silo_1"));

        foreach (var (name, policy) in models)
        {
            // Membership drops the dead host's instance; the restored instance on host-a loads from host-a's memory: blitz's
            // surviving copy, or (sllm) a copy made again from storage.
            var restored = await StatusPoll.WaitFor(grid.Model(name),
                s => s.Instances.SingleOrDefault() is { State: InstanceState.Serving } i && i.Gpu.StartsWith(GridFixture.HostA + "/", StringComparison.Ordinal) ? s : null,
                $"{name} ({policy}) never served again on host-a");
            output.WriteLine($"{name} ({policy}) restored: {StatusPoll.Describe(restored)}");
            var instance = restored.Instances.Single();
            Assert.Contains($"{GridFixture.HostA}/memory", instance.LoadedFrom);
            Assert.Equal([GridFixture.HostA], restored.HostCopies);
            Assert.Equal(noFault[name], (await Streamed.Collect(grid.Client.GenerateAsync(name, Request)).WaitAsync(StatusPoll.Limit)).TokenIds);
            Assert.Equal(noFault[name], (await Streamed.Collect(grid.Shard(instance.Shard).Generate(Request)).WaitAsync(StatusPoll.Limit)).TokenIds);
        }
        await grid.Model(grid.SllmModel).Undeploy();

        // blitz's only instance and its copy now share host-a: a host that joins takes the copy, and host-a's is dropped.
        await grid.Cluster.StartAdditionalSiloAsync();
        var moved = await StatusPoll.WaitFor(grid.Model(grid.BlitzModel),
            s => s.HostCopies is [var host] && host != GridFixture.HostA ? s : null, $"{grid.BlitzModel}'s host copy never moved off {GridFixture.HostA}");
        output.WriteLine($"after a silo joined: {StatusPoll.Describe(moved)}");
        Assert.StartsWith(GridFixture.HostA + "/", moved.Instances.Single().Gpu);
        Assert.Equal(noFault[grid.BlitzModel], (await Streamed.Collect(grid.Client.GenerateAsync(grid.BlitzModel, Request)).WaitAsync(StatusPoll.Limit)).TokenIds);
        await grid.Model(grid.BlitzModel).Undeploy();
    }
}
