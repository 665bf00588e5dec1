using BlitzScale.Cli.Replay;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Replay;

/// <summary>The report's maths on a hand-made request log and hand-made cluster samples, and the PNG it draws.</summary>
public sealed class ReplayFiguresTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private static ReplayRequest Ok(int i, double arrival, double[] tokens, double end, string shard, double lag = 0) =>
        new(i, i + 2, arrival, arrival + lag, 16, tokens.Length, tokens, end, shard, ReplayOutcome.Ok, null);

    // ttft 100 ms, gaps 100 and 200 ms; ttft 500 ms, gap 50 ms; ttft 50 ms, one token; one failed; one lost.
    private static readonly ReplayRequest[] Log =
    [
        Ok(0, 0, [0.1, 0.2, 0.4], 0.4, "m/0/0"),
        Ok(1, 1, [1.5, 1.55], 1.6, "m/1/0", lag: 0.002),
        Ok(2, 2, [2.05], 2.05, "m/0/0"),
        new(3, 5, 3, 3, 16, 4, [], 3.1, null, ReplayOutcome.Failed, "AdmissionQueueFullException: full"),
        new(4, 6, 3.5, 3.5, 16, 4, [3.6], 120, "m/1/0", ReplayOutcome.Lost, "still open when the drain time ran out"),
    ];

    private static ClusterSample Sample(double at, int gpus, int serving) =>
        new(at, new Dictionary<string, int> { ["Serving"] = serving }, gpus, gpus * 1000L, 500, 0, 0);

    private static readonly ClusterSample[] Samples = [Sample(0, 1, 1), Sample(1, 2, 2), Sample(3, 2, 1), Sample(4, 1, 1)];

    [Fact]
    public void Percentiles_count_only_the_requests_that_ended_ok_and_tbt_counts_every_gap()
    {
        var figures = ReplayFigures.Of(Log, Samples, new ReplaySlo(200, 100));

        Assert.Equal((5, 3, 1, 1), (figures.Requests, figures.Ok, figures.Failed, figures.Lost));
        Assert.Equal(new Spread(3, 100, 500, 500, 500), figures.TtftMs);
        Assert.Equal(new Spread(3, 100, 200, 200, 200), figures.TbtMs);
        Assert.Equal(new Spread(3, 400, 600, 600, 600), figures.EndToEndMs);
        Assert.Equal(2, figures.MaxStartLagMs);
        Assert.Equal(new Dictionary<string, int> { ["m/0/0"] = 2, ["m/1/0"] = 1 }, figures.ServedBy);
    }

    [Fact]
    public void Slo_attainment_is_the_share_of_all_sent_requests_within_both_objectives()
    {
        // Only the one-token request: the first misses the TBT objective (mean 150 ms), the second the TTFT one (500 ms).
        Assert.Equal(0.2, ReplayFigures.Of(Log, Samples, new ReplaySlo(200, 100)).SloAttainment);
        // Looser: the first three attain; the failed and the lost one never do.
        Assert.Equal(0.6, ReplayFigures.Of(Log, Samples, new ReplaySlo(500, 150)).SloAttainment);
    }

    [Fact]
    public void Gpu_seconds_hold_each_samples_count_until_the_next_sample()
    {
        var figures = ReplayFigures.Of(Log, Samples, new ReplaySlo(200, 100));

        // 1 GPU for 1 s, 2 for 2 s, 2 for 1 s.
        Assert.Equal(7, figures.GpuSeconds);
        Assert.Equal(2, figures.PeakGpus);
        Assert.Equal(4, figures.SampledSeconds);
        Assert.Equal(1.75, figures.MeanGpus);
        Assert.Equal(0, ReplayFigures.GpuSecondsOf([Sample(0, 3, 3)]));
    }

    [Fact]
    public void The_plot_is_a_png_with_a_panel_per_run_and_one_for_the_ttft_cdf()
    {
        var runs = new[] { "blitz", "sllm" }.Select(p => new ReplayResult
        {
            Policy = p, ModelName = $"replay-{p}", Log = Log, Samples = Samples, Figures = ReplayFigures.Of(Log, Samples, new ReplaySlo(200, 100)),
        }).ToList();
        string path = _dir.File("replay.png");

        ReplayPlot.Write(path, "test", runs);

        byte[] png = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal(ReplayPlot.Width, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)));
        Assert.Equal(3 * ReplayPlot.PanelHeight, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)));
    }

    public void Dispose() => _dir.Dispose();
}
