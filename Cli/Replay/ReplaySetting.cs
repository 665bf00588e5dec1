namespace BlitzScale.Cli.Replay;

/// <summary>What was replayed: the trace, the window and why it was chosen, the time scale, the token caps and the objectives.</summary>
internal sealed record ReplaySetting(string Trace, string Format, int TraceRequests, int TraceSkippedFailed, TraceWindow Window, double TimeScale,
    double PlayedSeconds, double PlayedMeanRps, double PlayedPeakRps, int Requests, int MaxPromptTokens, int MaxOutputTokens, double TokenScale,
    int PromptsCapped, int OutputsCapped, double MeanPromptTokens, double MeanOutputTokens, ReplaySlo Slo)
{
    public static ReplaySetting Of(Trace trace, TraceWindow window, ReplaySchedule schedule, ReplaySlo slo) => new(
        trace.Path, TraceFormats.Name(trace.Format), trace.Requests.Count, trace.SkippedFailed, window, Math.Round(schedule.TimeScale, 6),
        Math.Round(schedule.DurationSeconds, 3), Math.Round(schedule.MeanRps, 4), schedule.PeakRps, schedule.Arrivals.Count,
        schedule.Caps.MaxPromptTokens, schedule.Caps.MaxOutputTokens, schedule.Caps.Scale, schedule.PromptsCapped, schedule.OutputsCapped,
        schedule.Arrivals.Count == 0 ? 0 : Math.Round(schedule.Arrivals.Average(a => a.PromptTokens), 1),
        schedule.Arrivals.Count == 0 ? 0 : Math.Round(schedule.Arrivals.Average(a => a.OutputTokens), 1), slo);

    /// <summary>One line for the progress display.</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Requests} requests of {Trace} ({Format}) lines in [{Window.StartSeconds:0.###}, {Window.StartSeconds + Window.DurationSeconds:0.###}) s, " +
        $"played over {PlayedSeconds:0.###} s (time scale {TimeScale:0.####}): mean {PlayedMeanRps:0.##} req/s, peak {PlayedPeakRps:0.##} req/s " +
        $"(peak-to-mean {Window.PeakToMean:0.##}; {Window.Chosen}); prompts ≤ {MaxPromptTokens} ({PromptsCapped} capped), outputs ≤ {MaxOutputTokens} ({OutputsCapped} capped)");
}
