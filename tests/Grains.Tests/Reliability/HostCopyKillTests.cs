using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>
/// A grid whose host-b (Silo_1, the silo the test kills) has more memory for model copies than host-a, so the one host copy
/// of a <c>blitz</c> deployment is made there. Two model grains live on Silo_0 (host-a), which survives: one deployed with
/// <c>blitz</c>, one with <c>sllm</c> (each host that loads keeps its own copy), each with its only instance on host-b.
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
/// Issue 14, failures while loading: the host copy's silo dying. Each model loses its only instance and its host copy with
/// host-b's silo (killed, not an injected event); the model grain restores the count on host-a, and that load, which no GPU
/// can feed, makes the copy again from storage in host-a's memory and loads from it. The new instances serve exactly the
/// no-fault output (greedy).
/// </summary>
public sealed class HostCopyKillTests(HostCopyKillFixture grid, ITestOutputHelper output) : IClassFixture<HostCopyKillFixture>
{
    private const string Doomed = GridFixture.HostB + "/gpu0";
    private static readonly GenerateRequest Request = new() { PromptIds = [1, 17, 42, 99, 7, 301], MaxTokens = 24, StopAtEos = false };

    [Fact]
    public async Task The_host_copys_silo_dying_makes_the_next_load_copy_the_model_again_from_storage_on_a_live_host()
    {
        var models = new[] { (Name: grid.BlitzModel, Policy: LoadPolicy.Blitz), (Name: grid.SllmModel, Policy: LoadPolicy.Sllm) };
        var noFault = new Dictionary<string, int[]>();
        foreach (var (name, policy) in models)
        {
            await grid.Model(name).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Instances = 1, Gpus = [Doomed], KvBlocks = 64, Policy = policy });
            var status = await grid.WaitUntilServing(name);
            output.WriteLine($"{name} ({policy}) before the kill: {StatusPoll.Describe(status)}");
            Assert.Equal([GridFixture.HostB], status.HostCopies);
            noFault[name] = (await Streamed.Collect(grid.Client.GenerateAsync(name, Request))).TokenIds;
            Assert.Equal(Request.MaxTokens, noFault[name].Length);
        }

        await grid.Cluster.KillSiloAsync(grid.Cluster.Silos.Single(s => s.Name == "Silo_1"));

        foreach (var (name, policy) in models)
        {
            // Membership drops the dead host's instance and its copy; the restored instance on host-a loads from host-a's memory.
            var restored = await StatusPoll.WaitFor(grid.Model(name),
                s => s.Instances.SingleOrDefault() is { State: InstanceState.Serving } i && i.Gpu.StartsWith(GridFixture.HostA + "/", StringComparison.Ordinal) ? s : null,
                $"{name} ({policy}) never served again on host-a");
            output.WriteLine($"{name} ({policy}) restored: {StatusPoll.Describe(restored)}");
            var instance = restored.Instances.Single();
            Assert.Contains($"{GridFixture.HostA}/memory", instance.LoadedFrom);
            Assert.Equal([GridFixture.HostA], restored.HostCopies);
            Assert.Equal(noFault[name], (await Streamed.Collect(grid.Client.GenerateAsync(name, Request)).WaitAsync(StatusPoll.Limit)).TokenIds);
            Assert.Equal(noFault[name], (await Streamed.Collect(grid.Shard(instance.Shard).Generate(Request)).WaitAsync(StatusPoll.Limit)).TokenIds);
            await grid.Model(name).Undeploy();
        }
    }
}
