using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Compute.Timed;

namespace BlitzScale.Grains.Tests.Timed;

/// <summary>
/// The two-host grid with every GPU on the timed backend, charging a cost profile this fixture writes itself, and two
/// instances of the synthetic "tiny" model (4 layers), one per host. With <see cref="Dilation"/> 2 a decode step of one
/// sequence takes 0.5 ms × 4 layers × 2 = 4 ms, a 16-token prefill 2 ms × 4 × 2 = 16 ms.
/// </summary>
public sealed class TimedServingFixture : GridFixture
{
    public const string Tiny = "tiny";
    public const string CostModel = "grid-test";
    public const double Dilation = 2;

    // Prefill points lie above the decode points: a mixed step never costs less than a decode of its sequences.
    private const string ProfileRows = """
        {"device": "Test GPU", "h2d_pinned_GBps": 50.0}
        {"model": "grid-test", "layer_bytes_bf16": 1000, "n_layers": 4, "prefill_T16_ms": 2.0, "prefill_T256_ms": 6.0, "decode_B1_ctx1024_ms": 0.5, "decode_B8_ctx1024_ms": 1.0}
        """;

    public TimedServingFixture()
    {
        ProfilePath = ScratchPath("costs.jsonl");
        File.WriteAllText(ProfilePath, ProfileRows);
        Profile = CostProfile.Load(ProfilePath, CostModel);
    }

    /// <summary>The cost profile file the hosts read.</summary>
    public string ProfilePath { get; }

    /// <summary>The profile the hosts charge, read here with the same reader.</summary>
    public CostProfile Profile { get; }

    /// <summary>What Deploy returned for "tiny".</summary>
    public ModelStatus TinyDeployed { get; private set; } = null!;

    protected override void ConfigureHost(GpuHostOptions host)
    {
        host.Backend = GpuHostOptions.TimedBackend;
        host.CostProfile = ProfilePath;
        host.CostModel = CostModel;
        host.TimeDilation = Dilation;
    }

    protected override async Task OnDeployedAsync()
    {
        TinyDeployed = await Model(Tiny).Deploy(new DeployRequest { ModelDirectory = SyntheticModel, Instances = 2 });
        await WaitUntilServing(Tiny);
    }
}
