using BlitzScale.Cli.Replay;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// What ideal live pairs could give in one round of <c>bench replay</c>, against allcache: <see cref="LivePairModel"/>'s fluid
/// model of the cluster fed with the round's blitz-fast run (its arrivals and its loads) and, for the baseline, with allcache's.
/// Pure.
/// </summary>
/// <remarks>
/// The replay's requests differ in length, so each arrival's work is its prompt over the run's mean prompt, at one instance's
/// predicted capacity (<c>needs.capacity_rps</c>) per instance holding every layer; a load runs from the sample that first saw
/// it to its time Serving; a request's TTFT is its wait plus the unloaded latency, the median TTFT of the run's first ten
/// arrivals. Scale-downs after the burst are not modelled (the p99 is the burst's). The model's blitz-fast and allcache
/// p99s beside the measured ones are the check on it.
/// </remarks>
internal static class ReplayPairModel
{
    /// <summary>Arrivals whose TTFT gives the unloaded latency: the first of the run, before any load.</summary>
    internal const int UnloadedArrivals = 10;

    /// <summary>The model's figures for a round; null without blitz-fast's or allcache's run (with their logs and loads) or a capacity.</summary>
    public static ReplayPairModelFigures? Of(ReplayResult? blitzFast, ReplayResult? allcache, double? capacityRps)
    {
        if (capacityRps is not > 0 || Input(blitzFast) is not { } fast || Input(allcache) is not { } cache) return null;
        double c = capacityRps.Value;
        double modelFast = LivePairModel.BurstP99Ms(fast.Arrivals, c, fast.UnloadedMs, fast.Loads, _ => false);
        double modelCache = LivePairModel.BurstP99Ms(cache.Arrivals, c, cache.UnloadedMs, cache.Loads, _ => false);
        double pairs = LivePairModel.BurstP99Ms(fast.Arrivals, c, fast.UnloadedMs, fast.Loads, l => l.PairsUnderBlitz);
        double every = LivePairModel.BurstP99Ms(fast.Arrivals, c, fast.UnloadedMs, fast.Loads, _ => true);
        double complementary = LivePairModel.ComplementaryBurstP99Ms(fast.Arrivals, c, fast.UnloadedMs, fast.Loads);
        double? Ratio(double over) => modelCache > 0 ? Math.Round(over / modelCache, 3) : null;
        return new ReplayPairModelFigures(Math.Round(fast.MeasuredP99Ms, 3), Math.Round(modelFast, 3), Math.Round(cache.MeasuredP99Ms, 3),
            Math.Round(modelCache, 3), Math.Round(pairs, 3), Math.Round(complementary, 3), Ratio(modelFast), Ratio(pairs), Ratio(complementary))
        {
            IdealEveryLoadP99Ms = Math.Round(every, 3),
            IdealRatioEveryLoad = Ratio(every),
        };
    }

    private sealed record ModelInput(List<ModelArrival> Arrivals, List<ModelLoad> Loads, double UnloadedMs, double MeasuredP99Ms);

    // The model's input from a run: null when it lacks a log, a measured p99, TTFTs for the unloaded latency, or a load's time Serving.
    private static ModelInput? Input(ReplayResult? run)
    {
        if (run is not { Log: { Count: > 0 } log, Figures.TtftMs.P99: var measured } || run.Loads.Any(l => l.ServingAtS is null)) return null;
        double meanPrompt = log.Average(r => (double)r.PromptTokens);
        if (meanPrompt <= 0) return null;
        var early = log.OrderBy(r => r.ArrivalS).Take(UnloadedArrivals).Select(r => r.TtftS).OfType<double>().ToList();
        if (early.Count == 0) return null;
        var arrivals = log.Select(r => new ModelArrival(r.ArrivalS, Burst: true, r.PromptTokens / meanPrompt)).ToList();
        var loads = run.Loads.Select(l => new ModelLoad(l.FirstSeenS, l.ServingAtS!.Value, LivePairModel.PairsUnderBlitz(l.LoadedFrom))).ToList();
        return new ModelInput(arrivals, loads, Percentiles.Of(early.Select(s => s * 1e3).ToList()).P50, measured);
    }
}

/// <summary>
/// One round's <see cref="ReplayPairModel"/> figures (ms): blitz-fast's and allcache's measured p99 TTFT beside the model's;
/// the model's p99 with ideal pairs of the loads blitz pairs, with those loads in complementary orders, and with every
/// load ideally paired (the host copy's too), all on blitz-fast's run; and each of the model's blitz-side figures ÷ the
/// model's allcache p99.
/// </summary>
internal sealed record ReplayPairModelFigures(double MeasuredBlitzFastP99Ms, double ModelBlitzFastP99Ms, double MeasuredAllcacheP99Ms,
    double ModelAllcacheP99Ms, double IdealBlitzPairsP99Ms, double IdealComplementaryP99Ms, double? ModelRatioBlitzFast,
    double? IdealRatioBlitzPairs, double? IdealRatioComplementary)
{
    /// <summary>The model's p99 with every load ideally paired, the one from the host copy beside its GPU too (the grid keeps it out).</summary>
    public double IdealEveryLoadP99Ms { get; init; }

    /// <summary><see cref="IdealEveryLoadP99Ms"/> ÷ the model's allcache p99.</summary>
    public double? IdealRatioEveryLoad { get; init; }
}
