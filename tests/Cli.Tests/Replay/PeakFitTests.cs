using BlitzScale.Cli.Benchmarks;
using BlitzScale.Cli.Replay;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Replay;

/// <summary>bench replay's default rate: the largest load share whose bursty window's peak fits the cluster.</summary>
public sealed class PeakFitTests
{
    private static readonly string[] TraceParts = ["traces", "azure2023", "AzureLLMInferenceTrace_code.csv"];
    // The bench's figures at aad5000: stories110m on the llama3-8b profile, one instance's capacity in requests/s, 4 GPUs.
    private const double Capacity = 34.125;
    private const int Gpus = 4, Context = 1024;
    private static readonly ReplaySlo Slo = ReplaySlo.Of(1000, 100);

    private static ReplayBenchOptions Options(string trace, double? peakShare) => new("/m", null, Gpus, 1, null, "llama3-8b", null, 100, 1000, 50, 16,
        new ReplayPlanOptions(trace, null, null, null, true, null, null, 512, 128, 1), ReplayBenchOptions.DefaultPlayedSeconds, ReplayBenchOptions.DefaultLoadShare,
        peakShare, 1000, 100, 1, ["blitz"], 6399, "/tmp/blitz-testbed", null, false);

    private static ReplayPlan Whole(ReplayBenchOptions options) =>
        ReplayPlan.Build(options.Plan with { Start = null, Duration = null, Bursty = false, TimeScale = null, Rate = null }, Context);

    [SkippableFact]
    public void The_fitted_share_is_the_largest_tried_whose_window_peak_fits_the_cluster()
    {
        string? path = RepositoryPaths.Shared(TraceParts);
        Skip.If(path is null, RepositoryPaths.Missing(TraceParts));
        var options = Options(path!, ReplayBenchOptions.DefaultPeakShare);
        var whole = Whole(options);

        var (share, played) = ReplayBenchSetup.FitPeak(options, whole, Context, Capacity, Gpus, Slo, ReplayBenchOptions.DefaultPeakShare);

        Assert.True(played.Needs.PeakOverCluster <= 1, $"peak {played.Needs.PeakOverCluster} × the cluster at share {share}");
        Assert.True(share < ReplayBenchOptions.DefaultLoadShare, $"share {share}: the default window's peak at 0.5 is beyond the cluster");
        // The played mean is the share of the cluster's capacity, and the window plays about --played-seconds.
        Assert.Equal(share * Gpus * Capacity, played.Setting.PlayedMeanRps, 0.05 * share * Gpus * Capacity);
        // The window's length follows from the trace's mean rate, a bursty window's own mean is above it: about the time asked, not exactly.
        Assert.InRange(played.Setting.PlayedSeconds, 0.5 * ReplayBenchOptions.DefaultPlayedSeconds, 1.5 * ReplayBenchOptions.DefaultPlayedSeconds);
        // One step up the ladder the peak is beyond it: the fit took the largest share that fits, not any that does.
        var shares = ReplayBenchSetup.FitShares().ToList();
        double up = shares[shares.IndexOf(share) - 1];
        var above = ReplayBenchSetup.Play(options, whole, Context, Capacity, Gpus, Slo, ReplayBenchSetup.RateAt(up, Gpus, Capacity));
        Assert.True(above.Needs.PeakOverCluster > 1, $"at {up} the peak is {above.Needs.PeakOverCluster} × the cluster");
    }

    [SkippableFact]
    public void A_peak_share_no_rate_can_reach_is_refused_naming_the_option()
    {
        string? path = RepositoryPaths.Shared(TraceParts);
        Skip.If(path is null, RepositoryPaths.Missing(TraceParts));
        var options = Options(path!, 0.001);

        var error = Assert.Throws<ArgumentException>(() => ReplayBenchSetup.FitPeak(options, Whole(options), Context, Capacity, Gpus, Slo, 0.001));

        Assert.Contains("--peak-share 0.001", error.Message);
        Assert.Contains("--load-share", error.Message);
    }
}
