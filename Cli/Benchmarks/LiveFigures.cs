namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// The figures of one policy's run, derived from its request log and its new instances alone (pure, so they are tested on
/// hand-made logs).
/// </summary>
/// <param name="Requests">Requests sent.</param>
/// <param name="BurstRequests">Requests that arrived in the burst.</param>
/// <param name="Failed">Requests that failed (must be 0).</param>
/// <param name="SteadyTtftMs">p50/p99 TTFT of the steady phase's requests that did not fail.</param>
/// <param name="BurstTtftMs">p50/p99 TTFT of the burst's requests that did not fail; null when none finished.</param>
/// <param name="FirstTokenS">Scale request to the first token of a request served by a new instance.</param>
/// <param name="FullLoadS">Scale request to the last new instance seen Serving (all of them fully loaded).</param>
/// <param name="FirstTokenShare"><paramref name="FirstTokenS"/> ÷ <paramref name="FullLoadS"/>.</param>
/// <param name="MaxStartLagMs">The driver's largest delay between a request's scheduled arrival and its start (open-loop check).</param>
/// <param name="LoadedInBurst">
/// Whether every new instance was fully loaded before the burst ended; when not, the burst's TTFT is mostly one instance's
/// queue and says little about the policy (make the burst longer).
/// </param>
/// <param name="EarlyBurstP99TtftMs">
/// The burst's p99 TTFT with only the requests that arrived before the first new instance held every layer counted (every
/// later one as 0): what the p99 would be if every request after that moment got its first token at once. Until then the
/// busy instance serves the burst alone, or with a LiveNew holding part of the layers; nothing a policy does once a new
/// instance is whole lowers this part. Null when no new instance was seen whole or no burst request finished.
/// </param>
internal sealed record LiveFigures(int Requests, int BurstRequests, int Failed, Percentiles? SteadyTtftMs, Percentiles? BurstTtftMs,
    double? FirstTokenS, double? FullLoadS, double? FirstTokenShare, double MaxStartLagMs, bool LoadedInBurst, double? EarlyBurstP99TtftMs = null)
{
    /// <summary>Derives the figures from a log, the time of the scale request, the burst's end and the instances the scale added.</summary>
    public static LiveFigures Of(IReadOnlyList<LiveRequest> log, double scaleAtS, double burstEndS, IReadOnlyList<LiveNewInstance> added)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(added);
        var newShards = added.Select(i => i.Shard).ToHashSet(StringComparer.Ordinal);
        double? firstToken = log
            .Where(r => r.Error is null && r.FirstTokenS is not null && r.Shard is not null && newShards.Contains(r.Shard))
            .Select(r => (double?)(r.FirstTokenS!.Value - scaleAtS)).Min();
        double? fullLoad = added.Count > 0 && added.All(i => i.ServingAtS is not null) ? added.Max(i => i.ServingAtS!.Value) - scaleAtS : null;
        double? share = firstToken is { } f && fullLoad is > 0 ? Math.Round(f / fullLoad.Value, 3) : null;
        return new LiveFigures(
            log.Count,
            log.Count(r => r.Phase == LivePhase.Burst),
            log.Count(r => r.Error is not null),
            TtftMs(log, LivePhase.Steady),
            TtftMs(log, LivePhase.Burst),
            firstToken is { } ft ? Math.Round(ft, 3) : null,
            fullLoad is { } fl ? Math.Round(fl, 3) : null,
            share,
            log.Count == 0 ? 0 : Math.Round(log.Max(r => r.StartS - r.ArrivalS) * 1e3, 3),
            fullLoad is { } loaded && scaleAtS + loaded < burstEndS,
            EarlyP99(log, added.Min(i => i.ServingAtS)));
    }

    private static double? EarlyP99(IReadOnlyList<LiveRequest> log, double? firstWholeS)
    {
        if (firstWholeS is not { } whole) return null;
        var ttft = log.Where(r => r.Phase == LivePhase.Burst && r.TtftS is not null).Select(r => r.ArrivalS < whole ? r.TtftS!.Value * 1e3 : 0).ToList();
        return ttft.Count == 0 ? null : Percentiles.Of(ttft).P99;
    }

    private static Percentiles? TtftMs(IReadOnlyList<LiveRequest> log, LivePhase phase)
    {
        var ttft = log.Where(r => r.Phase == phase && r.TtftS is not null).Select(r => r.TtftS!.Value * 1e3).ToList();
        return ttft.Count == 0 ? null : Percentiles.Of(ttft);
    }
}
