using ScottPlot;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>The picture of <c>bench live --plot</c>: each burst request's TTFT over its arrival time, one series per policy.</summary>
internal static class LivePlot
{
    public const int Width = 1200;
    public const int Height = 700;

    /// <summary>Writes the PNG; arrival times are seconds from the burst's start, so the policies line up.</summary>
    public static void Write(string path, LiveReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var plot = new Plot();
        foreach (var (name, run) in report.Policies)
        {
            var burst = (run.Log ?? []).Where(r => r.Phase == LivePhase.Burst && r.TtftS is not null).ToList();
            if (burst.Count == 0) continue;
            var series = plot.Add.Scatter(burst.Select(r => r.ArrivalS - run.BurstStartS).ToArray(), burst.Select(r => r.TtftS!.Value).ToArray());
            series.LineWidth = 0;
            series.MarkerSize = 4;
            series.LegendText = run.Figures?.BurstTtftMs is { } p ? FormattableString.Invariant($"{name} (p99 {p.P99 / 1e3:0.###} s)") : name;
        }
        plot.Title(FormattableString.Invariant($"bench live: burst TTFT, {report.BurstRps:0.##} req/s over {report.BurstSeconds:0.##} s, {report.NewInstances} new instance(s)"));
        plot.XLabel("arrival time from the burst's start and the scale request (s)");
        plot.YLabel("time to first token (s)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
    }
}
