using BlitzScale.Grains.Hosting;

namespace BlitzScale.Grains.Tests.Autoscaling;

/// <summary>
/// The two-host grid (four GPUs) on the timed backend with a cost profile of its own: a decode step of a batch of 8 takes
/// 1 ms × 4 layers × dilation 2 = 8 ms, so a burst of long requests keeps an instance busy for seconds while loads and
/// drains happen; the autoscaler tests deploy their own models.
/// </summary>
public sealed class AutoscaleFixture : GridFixture
{
    public const double Dilation = 2;
    private const string CostModel = "autoscale-test";
    private const string ProfileRows = """
        {"device": "Test GPU", "h2d_pinned_GBps": 50.0}
        {"model": "autoscale-test", "layer_bytes_bf16": 1000, "n_layers": 4, "prefill_T16_ms": 2.0, "prefill_T256_ms": 6.0, "decode_B1_ctx1024_ms": 0.5, "decode_B8_ctx1024_ms": 1.0}
        """;

    public AutoscaleFixture()
    {
        ProfilePath = ScratchPath("costs.jsonl");
        File.WriteAllText(ProfilePath, ProfileRows);
    }

    public string ProfilePath { get; }

    protected override void ConfigureHost(GpuHostOptions host)
    {
        host.Backend = GpuHostOptions.TimedBackend;
        host.CostProfile = ProfilePath;
        host.CostModel = CostModel;
        host.TimeDilation = Dilation;
    }
}
