using ScottPlot;

namespace BlitzScale.Cli.Replay;

/// <summary>
/// The picture of <c>--plot</c>: for each run, the load (arrivals per second and requests in flight) and its instances per
/// state over time; below them, the TTFT CDF of every run on one chart.
/// </summary>
internal static class ReplayPlot
{
    public const int Width = 1200;
    public const int PanelHeight = 320;

    /// <summary>Writes the PNG.</summary>
    public static void Write(string path, string title, IReadOnlyList<ReplayResult> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var multiplot = new Multiplot();
        multiplot.AddPlots(runs.Count + 1);
        for (int i = 0; i < runs.Count; i++) LoadPanel(multiplot.GetPlot(i), runs[i], i == 0 ? title : null);
        CdfPanel(multiplot.GetPlot(runs.Count), runs);
        multiplot.SavePng(path, Width, PanelHeight * (runs.Count + 1));
    }

    private static string Name(ReplayResult run) => run.Policy ?? run.ModelName;

    private static void LoadPanel(Plot plot, ReplayResult run, string? title)
    {
        var log = run.Log ?? [];
        var samples = run.Samples ?? [];
        if (log.Count > 0)
        {
            int seconds = (int)Math.Ceiling(log.Max(r => r.ArrivalS)) + 1;
            var perSecond = new double[seconds];
            foreach (var r in log) perSecond[(int)r.ArrivalS]++;
            var arrivals = plot.Add.Scatter(Enumerable.Range(0, seconds).Select(s => (double)s).ToArray(), perSecond);
            arrivals.ConnectStyle = ConnectStyle.StepHorizontal;
            arrivals.MarkerSize = 0;
            arrivals.LegendText = "arrivals per second";
        }
        if (samples.Count > 0)
        {
            double[] times = [.. samples.Select(s => s.AtS)];
            var inFlight = plot.Add.Scatter(times, samples.Select(s => (double)s.InFlight).ToArray());
            inFlight.MarkerSize = 0;
            inFlight.LegendText = "in flight";
            foreach (string state in samples.SelectMany(s => s.Instances.Keys).Distinct().Order(StringComparer.Ordinal))
            {
                var series = plot.Add.Scatter(times, samples.Select(s => (double)s.Instances.GetValueOrDefault(state)).ToArray());
                series.ConnectStyle = ConnectStyle.StepHorizontal;
                series.MarkerSize = 0;
                series.LineWidth = 2;
                series.LegendText = $"instances {state}";
                // Instances are a few, requests hundreds: the instances get the right axis so both stay readable.
                series.Axes.YAxis = plot.Axes.Right;
            }
            var gpus = plot.Add.Scatter(times, samples.Select(s => (double)s.GpusHolding).ToArray());
            gpus.ConnectStyle = ConnectStyle.StepHorizontal;
            gpus.MarkerSize = 0;
            gpus.LinePattern = LinePattern.Dashed;
            gpus.LegendText = "GPUs holding an instance";
            gpus.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = "instances, GPUs";
        }
        string figures = run.Figures is { } f ? FormattableString.Invariant($" ({f.GpuSeconds:0.#} GPU-s, p99 TTFT {f.TtftMs?.P99 / 1e3:0.###} s)") : "";
        plot.Title(title is null ? $"{Name(run)}{figures}" : $"{title}\n{Name(run)}{figures}");
        plot.XLabel("time from the replay's start (s)");
        plot.YLabel("requests");
        plot.ShowLegend(Alignment.UpperRight);
    }

    private static void CdfPanel(Plot plot, IReadOnlyList<ReplayResult> runs)
    {
        foreach (var run in runs)
        {
            var ttft = (run.Log ?? []).Where(r => r.TtftS is not null).Select(r => r.TtftS!.Value).Order().ToArray();
            if (ttft.Length == 0) continue;
            var series = plot.Add.Scatter(ttft, ttft.Select((_, i) => (i + 1.0) / ttft.Length).ToArray());
            series.ConnectStyle = ConnectStyle.StepHorizontal;
            series.MarkerSize = 0;
            series.LineWidth = 2;
            series.LegendText = run.Figures?.TtftMs is { } p ? FormattableString.Invariant($"{Name(run)} (p99 {p.P99 / 1e3:0.###} s)") : Name(run);
        }
        plot.Title("TTFT CDF");
        plot.XLabel("time to first token (s)");
        plot.YLabel("share of requests");
        plot.ShowLegend(Alignment.LowerRight);
    }
}
