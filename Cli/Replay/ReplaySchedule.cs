namespace BlitzScale.Cli.Replay;

/// <summary>One request to send: when (seconds from the replay's start, after time scaling) and with how many tokens.</summary>
/// <param name="Index">Its index in the schedule (arrival order).</param>
/// <param name="TraceLine">Its line in the trace file.</param>
/// <param name="AtSeconds">When to send it.</param>
/// <param name="PromptTokens">Prompt length, BOS included, after scaling and caps.</param>
/// <param name="OutputTokens">Tokens to generate (EOS ignored), after scaling and caps.</param>
internal sealed record ReplayArrival(int Index, int TraceLine, double AtSeconds, int PromptTokens, int OutputTokens);

/// <summary>
/// A trace window turned into an open-loop schedule: arrival times multiplied by <see cref="TimeScale"/> (0.5 plays twice as
/// fast; every gap shrinks alike, so the burst structure is kept), token counts fitted with <see cref="TokenCaps"/>.
/// </summary>
internal sealed class ReplaySchedule
{
    private ReplaySchedule(IReadOnlyList<ReplayArrival> arrivals, double timeScale, double durationSeconds, TokenCaps caps, int promptsCapped, int outputsCapped)
    {
        Arrivals = arrivals;
        TimeScale = timeScale;
        DurationSeconds = durationSeconds;
        Caps = caps;
        PromptsCapped = promptsCapped;
        OutputsCapped = outputsCapped;
    }

    public IReadOnlyList<ReplayArrival> Arrivals { get; }
    /// <summary>Played time ÷ trace time.</summary>
    public double TimeScale { get; }
    /// <summary>The played length of the window.</summary>
    public double DurationSeconds { get; }
    public TokenCaps Caps { get; }
    /// <summary>Requests whose prompt the caps shortened.</summary>
    public int PromptsCapped { get; }
    /// <summary>Requests whose output the caps shortened.</summary>
    public int OutputsCapped { get; }
    /// <summary>The busiest second of played time (1-s bins from the start), requests/s.</summary>
    public double PeakRps => TraceWindow.Measure([.. Arrivals.Select(a => new TraceRequest(a.TraceLine, a.AtSeconds, a.PromptTokens, a.OutputTokens))],
        0, Math.Max(DurationSeconds, TraceWindow.BinSeconds), "").PeakRps;

    /// <summary>Mean arrival rate as played.</summary>
    public double MeanRps => DurationSeconds > 0 ? Arrivals.Count / DurationSeconds : 0;

    /// <summary>
    /// The time scale that plays a window of <paramref name="window"/>'s mean rate at <paramref name="rps"/> (the paper's
    /// rescaling to a share of the cluster's capacity).
    /// </summary>
    public static double ScaleForRate(TraceWindow window, double rps)
    {
        CheckRate(rps);
        if (window.MeanRps <= 0) throw new ArgumentException("the window has no requests: no rate to scale");
        return window.MeanRps / rps;
    }

    /// <summary>Builds the schedule from a window's requests (times from its start).</summary>
    public static ReplaySchedule Build(IReadOnlyList<TraceRequest> requests, double windowSeconds, double timeScale, TokenCaps caps)
    {
        CheckTimeScale(timeScale);
        ArgumentNullException.ThrowIfNull(caps);
        var arrivals = requests.Select((r, i) => new ReplayArrival(i, r.Line, r.AtSeconds * timeScale, caps.Prompt(r.InputTokens), caps.Output(r.OutputTokens))).ToList();
        int prompts = requests.Count(r => caps.Prompt(r.InputTokens) < (int)Math.Round(r.InputTokens * caps.Scale, MidpointRounding.AwayFromZero));
        int outputs = requests.Count(r => caps.Output(r.OutputTokens) < (int)Math.Round(r.OutputTokens * caps.Scale, MidpointRounding.AwayFromZero));
        return new ReplaySchedule(arrivals, timeScale, windowSeconds * timeScale, caps, prompts, outputs);
    }

    /// <exception cref="ArgumentException"><paramref name="rps"/> is not a positive number.</exception>
    public static void CheckRate(double rps)
    {
        if (!(rps > 0) || !double.IsFinite(rps)) throw new ArgumentException($"--rate must be > 0 requests/s, found {rps}");
    }

    /// <exception cref="ArgumentException"><paramref name="timeScale"/> is not a positive number.</exception>
    public static void CheckTimeScale(double timeScale)
    {
        if (!(timeScale > 0) || !double.IsFinite(timeScale)) throw new ArgumentException($"--time-scale must be > 0, found {timeScale}");
    }
}
