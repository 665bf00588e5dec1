using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>
/// Three hosts; host-b (Silo_1, the silo the test kills) has the most memory for model copies, so a blitz model with its
/// instance on host-a keeps its copy there; the model's grain lives on Silo_1 too.
/// </summary>
public sealed class StrayCopyKillFixture : SiloKillFixture
{
    /// <summary>The model's name: the first of "stray0", "stray1", … whose grain activated on Silo_1.</summary>
    public string ModelName { get; private set; } = "";

    protected override int HostCount => 3;

    protected override void ConfigureHost(GpuHostOptions host) => host.HostMemoryGiB = host.Host == HostB ? 1 : 0.5;

    protected override async Task OnDeployedAsync() => ModelName = await NameOnSilo("Silo_1", "stray");
}

/// <summary>
/// A copy of the model the model grain does not know of (here put on host-a, beside the only instance, as a move cut short by
/// the grain's silo dying leaves one) is found by the grain's next activation. host-b's silo dies with the model grain and the
/// copy; the grain activates elsewhere, takes the whole copy it finds on host-a (<see cref="Scaling.Caching.CopySweep"/>)
/// rather than reading storage, and since that copy shares its host with every GPU holding the model, moves it to host-c
/// and drops host-a's: one copy is left, on host-c. Without the sweep the grain made a copy on host-c and host-a's stayed.
/// </summary>
public sealed class StrayCopyKillTests(StrayCopyKillFixture grid, ITestOutputHelper output) : IClassFixture<StrayCopyKillFixture>
{
    private static readonly GenerateRequest Request = new() { PromptIds = [1, 17, 42, 99, 7, 301], MaxTokens = 16, StopAtEos = false };

    [Fact]
    public async Task A_reactivated_model_grain_takes_a_whole_copy_it_did_not_know_and_leaves_one_copy()
    {
        string model = grid.ModelName;
        await grid.Model(model).Deploy(new DeployRequest
        {
            ModelDirectory = grid.SyntheticModel, Instances = 1, Gpus = ["host-a/gpu0"], KvBlocks = 64, Policy = LoadPolicy.Blitz,
        });
        try
        {
            var deployed = await grid.WaitUntilServing(model);
            output.WriteLine($"deployed: {StatusPoll.Describe(deployed)}");
            Assert.Equal([GridFixture.HostB], deployed.HostCopies);
            var noFault = (await Streamed.Collect(grid.Client.GenerateAsync(model, Request))).TokenIds;

            var hostA = grid.Client.GetGrain<IHostMemoryGrain>(new Interfaces.Keys.HostMemoryKey(GridFixture.HostA).ToString());
            await hostA.EnsureCopy(model, grid.SyntheticModel, null, deferFill: false);
            await StatusPoll.Until(async () => (await hostA.GetStatus()).Copies.Any(c => c.Model == model && c.Complete) ? "" : null,
                "the copy on host-a never became whole");

            await grid.Cluster.KillSiloAsync(grid.Cluster.Silos.Single(s => s.Name == "Silo_1"));

            var settled = await StatusPoll.WaitFor(grid.Model(model),
                s => s.HostCopies is [GridFixture.HostC] && s.Instances is [{ State: InstanceState.Serving }] ? s : null,
                "the model did not settle on one copy, on host-c");
            output.WriteLine($"after the kill: {StatusPoll.Describe(settled)}");
            Assert.DoesNotContain((await hostA.GetStatus()).Copies, c => c.Model == model);
            Assert.Equal("host-a/gpu0", settled.Instances.Single().Gpu);
            Assert.Equal(noFault, (await Streamed.Collect(grid.Client.GenerateAsync(model, Request)).WaitAsync(StatusPoll.Limit)).TokenIds);
        }
        finally
        {
            await grid.Model(model).Undeploy();
        }
    }
}
