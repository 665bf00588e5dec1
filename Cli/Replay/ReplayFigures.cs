namespace BlitzScale.Cli.Replay;

/// <summary>
/// The figures of one replay, derived from its request log and its cluster samples alone (pure, so they are checked against
/// hand-made logs). Latencies in ms; TTFT and end-to-end over the requests that ended ok, TBT over every gap between two
/// tokens of those requests.
/// </summary>
/// <param name="Requests">Requests sent.</param>
/// <param name="Ok">Requests that got every token.</param>
/// <param name="Failed">Requests the grid refused or failed, with a reason.</param>
/// <param name="Lost">Requests with no answer (must be 0).</param>
/// <param name="TtftMs">Arrival to first token.</param>
/// <param name="TbtMs">Time between consecutive tokens.</param>
/// <param name="EndToEndMs">Arrival to the stream's end.</param>
/// <param name="SloAttainment">Share of all sent requests that attained both objectives (failed and lost ones count against it).</param>
/// <param name="GpuSeconds">
/// Time integral of the GPUs holding an instance of the model (Warm included), over the samples: each sample's count held
/// until the next one.
/// </param>
/// <param name="PeakGpus">Most GPUs holding an instance at once.</param>
/// <param name="MeanGpus"><paramref name="GpuSeconds"/> ÷ the sampled span.</param>
/// <param name="SampledSeconds">First sample to last.</param>
/// <param name="MaxStartLagMs">The driver's largest delay between a request's scheduled arrival and its start (open-loop check).</param>
/// <param name="ServedBy">Shard → requests it served.</param>
internal sealed record ReplayFigures(int Requests, int Ok, int Failed, int Lost, Spread? TtftMs, Spread? TbtMs, Spread? EndToEndMs, double SloAttainment,
    double GpuSeconds, int PeakGpus, double MeanGpus, double SampledSeconds, double MaxStartLagMs, IReadOnlyDictionary<string, int> ServedBy)
{
    public static ReplayFigures Of(IReadOnlyList<ReplayRequest> log, IReadOnlyList<ClusterSample> samples, ReplaySlo slo)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(slo);
        double gpuSeconds = GpuSecondsOf(samples);
        double span = samples.Count > 1 ? samples[^1].AtS - samples[0].AtS : 0;
        return new ReplayFigures(
            log.Count,
            log.Count(r => r.Outcome == ReplayOutcome.Ok),
            log.Count(r => r.Outcome == ReplayOutcome.Failed),
            log.Count(r => r.Outcome == ReplayOutcome.Lost),
            Spread.Of(log.Where(r => r.TtftS is not null).Select(r => r.TtftS!.Value * 1e3)),
            Spread.Of(log.SelectMany(r => r.TbtS).Select(t => t * 1e3)),
            Spread.Of(log.Where(r => r.EndToEndS is not null).Select(r => r.EndToEndS!.Value * 1e3)),
            log.Count == 0 ? 0 : Math.Round(log.Count(slo.Attained) / (double)log.Count, 4),
            Math.Round(gpuSeconds, 3),
            samples.Count == 0 ? 0 : samples.Max(s => s.GpusHolding),
            span > 0 ? Math.Round(gpuSeconds / span, 3) : 0,
            Math.Round(span, 3),
            log.Count == 0 ? 0 : Math.Round(log.Max(r => r.StartS - r.ArrivalS) * 1e3, 3),
            log.Where(r => r.Outcome == ReplayOutcome.Ok && r.Shard is not null).GroupBy(r => r.Shard!).OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count()));
    }

    /// <summary>Σ GPUs held at sample i × (time of sample i+1 − time of sample i).</summary>
    public static double GpuSecondsOf(IReadOnlyList<ClusterSample> samples)
    {
        double total = 0;
        for (int i = 0; i + 1 < samples.Count; i++) total += samples[i].GpusHolding * (samples[i + 1].AtS - samples[i].AtS);
        return total;
    }
}
