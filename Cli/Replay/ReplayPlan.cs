namespace BlitzScale.Cli.Replay;

/// <summary>How to cut a schedule from a trace (the command line of <c>blitz replay</c> and <c>bench replay</c>).</summary>
/// <param name="TracePath">The trace file.</param>
/// <param name="Format">Its format, or null to detect it from the header.</param>
/// <param name="Start">--start: the window's start in trace seconds; null with <paramref name="Bursty"/> or for 0.</param>
/// <param name="Duration">--duration: the window's length in trace seconds; null for the rest of the trace.</param>
/// <param name="Bursty">--window bursty: choose the most bursty window of <paramref name="Duration"/>.</param>
/// <param name="TimeScale">--time-scale: played time ÷ trace time.</param>
/// <param name="Rate">--rate: the played mean rate instead of a time scale.</param>
/// <param name="MaxPromptTokens">--max-prompt-tokens, or null for the model's context less the output cap.</param>
/// <param name="MaxOutputTokens">--max-output-tokens, or null for a quarter of the model's context.</param>
/// <param name="TokenScale">--token-scale: factor on both token counts before the caps.</param>
internal sealed record ReplayPlanOptions(string TracePath, string? Format, double? Start, double? Duration, bool Bursty, double? TimeScale, double? Rate,
    int? MaxPromptTokens, int? MaxOutputTokens, double TokenScale)
{
    /// <summary>The window length --window bursty uses when --duration is not given.</summary>
    public const double DefaultBurstySeconds = 60;
}

/// <summary>The trace as read, the window cut from it and the schedule played.</summary>
internal sealed record ReplayPlan(Trace Trace, TraceWindow Window, ReplaySchedule Schedule)
{
    /// <summary>
    /// Reads the trace and cuts the schedule. <paramref name="rate"/>, when given, replaces the options' time scale and rate
    /// (bench replay derives it from the cluster's capacity).
    /// </summary>
    /// <exception cref="ArgumentException">Contradicting or invalid options, or a malformed trace (<see cref="TraceFileException"/>).</exception>
    public static ReplayPlan Build(ReplayPlanOptions options, int contextTokens, double? rate = null) => Build(options, Cut(options), contextTokens, rate);

    /// <summary>The schedule of a window already cut by <see cref="Cut"/> from the same options.</summary>
    /// <exception cref="ArgumentException">A token cap that does not fit the model's context, or an invalid rate.</exception>
    public static ReplayPlan Build(ReplayPlanOptions options, TraceCut cut, int contextTokens, double? rate = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cut);
        var caps = TokenCaps.For(contextTokens, options.MaxPromptTokens, options.MaxOutputTokens, options.TokenScale);
        double scale = (rate ?? options.Rate) is { } r ? ReplaySchedule.ScaleForRate(cut.Window, r) : options.TimeScale ?? 1;
        var schedule = ReplaySchedule.Build(TraceWindow.Slice(cut.Trace, cut.Window.StartSeconds, cut.Window.DurationSeconds), cut.Window.DurationSeconds, scale, caps);
        return new ReplayPlan(cut.Trace, cut.Window, schedule);
    }

    /// <summary>
    /// Everything of the plan that does not depend on the model: the options' contradictions, the trace read, the window
    /// cut, and the time scale, rate, token scale and caps given checked for sign, so that <c>blitz replay</c> says what is
    /// wrong with them before it connects to a cluster.
    /// </summary>
    /// <exception cref="ArgumentException">Contradicting or invalid options, an empty window, or a malformed trace (<see cref="TraceFileException"/>).</exception>
    public static TraceCut Cut(ReplayPlanOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Bursty && options.Start is not null) throw new ArgumentException("give either --start or --window bursty, not both");
        if (options.TimeScale is not null && options.Rate is not null) throw new ArgumentException("give either --time-scale or --rate, not both");
        if (options.TimeScale is { } x) ReplaySchedule.CheckTimeScale(x);
        if (options.Rate is { } rps) ReplaySchedule.CheckRate(rps);
        TokenCaps.CheckGiven(options.MaxPromptTokens, options.MaxOutputTokens, options.TokenScale);
        var trace = TraceReader.Read(options.TracePath, options.Format is { } f ? TraceFormats.Parse(f) : null);
        var window = options.Bursty
            ? TraceWindow.Bursty(trace, options.Duration ?? ReplayPlanOptions.DefaultBurstySeconds, Step(options.Duration ?? ReplayPlanOptions.DefaultBurstySeconds))
            : TraceWindow.At(trace, options.Start ?? 0, options.Duration, options.Start is null ? "from the trace's start" : "given (--start)");
        if (window.Requests == 0) throw new ArgumentException($"the window [{window.StartSeconds}, {window.StartSeconds + window.DurationSeconds}) s of {trace.Path} holds no request");
        return new TraceCut(trace, window);
    }

    // A quarter of the window: neighbouring candidates overlap, so a burst is not cut in two by every candidate.
    private static double Step(double duration) => Math.Max(TraceWindow.BinSeconds, duration / 4);
}

/// <summary>A trace as read and the window cut from it, before the schedule (which needs the model's context).</summary>
internal sealed record TraceCut(Trace Trace, TraceWindow Window);
