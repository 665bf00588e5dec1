namespace BlitzScale.Cli.Replay;

/// <summary>
/// A stretch of a trace and how bursty it is: arrivals counted in bins of <see cref="BinSeconds"/>, peak bin ÷ mean bin.
/// </summary>
/// <param name="StartSeconds">Its start, seconds from the trace's first arrival.</param>
/// <param name="DurationSeconds">Its length.</param>
/// <param name="Requests">Arrivals inside it.</param>
/// <param name="MeanRps">Requests ÷ duration.</param>
/// <param name="PeakRps">The busiest bin's arrivals ÷ the bin's length.</param>
/// <param name="PeakToMean">Peak ÷ mean (1 for a perfectly even window; 0 when empty).</param>
/// <param name="Chosen">How the window was chosen, in words.</param>
internal sealed record TraceWindow(double StartSeconds, double DurationSeconds, int Requests, double MeanRps, double PeakRps, double PeakToMean, string Chosen)
{
    /// <summary>The bin the peak rate is counted in.</summary>
    public const double BinSeconds = 1;

    /// <summary>The requests of <paramref name="trace"/> in [start, start + duration), their times rebased to the window's start.</summary>
    public static IReadOnlyList<TraceRequest> Slice(Trace trace, double start, double duration) =>
        [.. trace.Requests.Where(r => r.AtSeconds >= start && r.AtSeconds < start + duration).Select(r => r with { AtSeconds = r.AtSeconds - start })];

    /// <summary>The window [start, start + duration) of <paramref name="trace"/> with its burstiness.</summary>
    /// <exception cref="ArgumentException">The window is empty, negative or starts after the trace ends.</exception>
    public static TraceWindow At(Trace trace, double start, double? duration, string chosen)
    {
        if (!(start >= 0) || !double.IsFinite(start)) throw new ArgumentException($"--start must be a number of seconds ≥ 0, found {start}");
        if (start > trace.SpanSeconds) throw new ArgumentException($"--start {start} s is after the trace's last arrival ({trace.SpanSeconds:F1} s) in {trace.Path}");
        // Without a duration the window runs to just past the last arrival, so the last request is in it.
        double length = duration ?? Math.Max(BinSeconds, trace.SpanSeconds - start + 1e-6);
        if (!(length > 0) || !double.IsFinite(length)) throw new ArgumentException($"--duration must be a number of seconds > 0, found {length}");
        return Measure(Slice(trace, start, length), start, length, chosen);
    }

    /// <summary>
    /// The most bursty window of <paramref name="duration"/> seconds, starts tried every <paramref name="step"/> seconds: the
    /// highest peak-to-mean among windows whose mean rate is at least the whole trace's (a near-empty window would win with one
    /// request in one bin, and says nothing about scaling).
    /// </summary>
    public static TraceWindow Bursty(Trace trace, double duration, double step)
    {
        if (!(duration > 0)) throw new ArgumentException($"--duration must be > 0 to choose a bursty window, found {duration}");
        if (!(step > 0)) throw new ArgumentException($"the window step must be > 0, found {step}");
        double traceMean = trace.Requests.Count / Math.Max(BinSeconds, trace.SpanSeconds);
        var candidates = Starts(trace.SpanSeconds, duration, step).Select(s => Measure(Slice(trace, s, duration), s, duration, "")).ToList();
        var best = candidates.Where(w => w.MeanRps >= traceMean).OrderByDescending(w => w.PeakToMean).ThenBy(w => w.StartSeconds).FirstOrDefault()
            ?? candidates.OrderByDescending(w => w.Requests).ThenBy(w => w.StartSeconds).First();
        return best with
        {
            Chosen = FormattableString.Invariant(
                $"bursty: of {candidates.Count} windows of {duration:0.###} s (starts every {step:0.###} s) with a mean rate ≥ the trace's {traceMean:0.###} req/s, the highest peak-to-mean ({best.PeakToMean:0.##}, peak counted in {BinSeconds:0.#} s bins)"),
        };
    }

    /// <summary>Mean and peak rate of <paramref name="requests"/> (times from the window's start) over a window of <paramref name="duration"/>.</summary>
    public static TraceWindow Measure(IReadOnlyList<TraceRequest> requests, double start, double duration, string chosen)
    {
        int bins = Math.Max(1, (int)Math.Ceiling(duration / BinSeconds));
        var counts = new int[bins];
        foreach (var r in requests) counts[Math.Min(bins - 1, (int)(r.AtSeconds / BinSeconds))]++;
        double mean = requests.Count / duration;
        double peak = counts.Max() / BinSeconds;
        return new TraceWindow(start, duration, requests.Count, Math.Round(mean, 4), peak, mean > 0 ? Math.Round(peak / mean, 3) : 0, chosen);
    }

    private static IEnumerable<double> Starts(double span, double duration, double step)
    {
        double last = Math.Max(0, span - duration);
        for (int i = 0; i * step <= last; i++) yield return i * step;
    }
}
