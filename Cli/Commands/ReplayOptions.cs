using System.CommandLine;
using BlitzScale.Cli.Replay;

namespace BlitzScale.Cli.Commands;

/// <summary>The trace, window, scaling, caps, objectives and outputs <c>blitz replay</c> and <c>blitz bench replay</c> share.</summary>
internal sealed class ReplayOptions
{
    public Option<string> Trace { get; }
    public Option<string?> Format { get; } = new("--format") { Description = $"Trace format: {TraceFormats.Names} (default: detected from the header)" };
    public Option<double?> Start { get; } = new("--start") { Description = "Window start, seconds after the trace's first request (default 0)" };
    public Option<double?> Duration { get; }
    public Option<string?> Window { get; } = new("--window")
    {
        Description = "bursty: the window of --duration with the highest peak-to-mean among those at least as busy as the whole trace",
    };
    public Option<double?> TimeScale { get; } = new("--time-scale") { Description = "Played time ÷ trace time (0.5 plays twice as fast; gaps shrink alike, bursts kept)" };
    public Option<double?> Rate { get; } = new("--rate") { Description = "Play the window at this mean rate (requests/s) instead of a --time-scale" };
    public Option<int?> MaxPrompt { get; } = new("--max-prompt-tokens") { Description = "Cap on prompt tokens (default: the model's context less the output cap)" };
    public Option<int?> MaxOutput { get; } = new("--max-output-tokens") { Description = "Cap on output tokens (default: a quarter of the model's context)" };
    public Option<double> TokenScale { get; } = new("--token-scale") { Description = "Factor on both token counts before the caps", DefaultValueFactory = _ => 1 };
    public Option<double> TtftSlo { get; }
    public Option<double> TbtSlo { get; }
    public Option<string?> Json { get; } = new("--json") { Description = "Also write the report with every request and every cluster sample to this file" };
    public Option<string?> Plot { get; } = new("--plot") { Description = "Write a PNG: load and instances per state over time, and the TTFT CDF" };

    public ReplayOptions(bool traceRequired, string? defaultTrace, double defaultTtftMs, double defaultTbtMs, double? defaultDuration)
    {
        Trace = new Option<string>("--trace") { Description = "The trace file (../shared/traces: Azure 2023 code and conversation, BurstGPT, Mooncake)", Required = traceRequired };
        if (defaultTrace is not null) Trace.DefaultValueFactory = _ => defaultTrace;
        Duration = new Option<double?>("--duration")
        {
            Description = defaultDuration is { } d
                ? FormattableString.Invariant($"Window length in trace seconds (default {d})")
                : FormattableString.Invariant($"Window length in trace seconds (default: to the trace's end; {ReplayPlanOptions.DefaultBurstySeconds} with --window bursty)"),
        };
        if (defaultDuration is { } length) Duration.DefaultValueFactory = _ => length;
        TtftSlo = new Option<double>("--ttft-slo-ms") { Description = $"TTFT objective in ms of wall clock (default {defaultTtftMs})", DefaultValueFactory = _ => defaultTtftMs };
        TbtSlo = new Option<double>("--tbt-slo-ms")
        {
            Description = $"Objective on a request's mean time between tokens in ms of wall clock (default {defaultTbtMs})", DefaultValueFactory = _ => defaultTbtMs,
        };
    }

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Trace, Format, Start, Duration, Window, TimeScale, Rate, MaxPrompt, MaxOutput, TokenScale, TtftSlo, TbtSlo, Json, Plot })
            command.Options.Add(option);
    }

    /// <summary>
    /// The plan's options, after checking what can be checked before anything starts (a cluster connection, a testbed): the
    /// window's name, the trace file's presence, the format's name and the output files.
    /// </summary>
    /// <exception cref="ArgumentException">One of them is wrong; the message names the option.</exception>
    /// <exception cref="FileNotFoundException">No trace file at --trace.</exception>
    public ReplayPlanOptions Plan(ParseResult parse)
    {
        string? window = parse.GetValue(Window);
        if (window is not null && window != "bursty") throw new ArgumentException($"--window: expected bursty, found \"{window}\"");
        string trace = parse.GetValue(Trace)!;
        if (!File.Exists(trace)) throw new FileNotFoundException($"--trace {trace}: no such file", trace);
        if (parse.GetValue(Format) is { } format) TraceFormats.Parse(format);
        OutputFile.Check(parse.GetValue(Json), "--json");
        OutputFile.Check(parse.GetValue(Plot), "--plot");
        return new ReplayPlanOptions(trace, parse.GetValue(Format), parse.GetValue(Start), parse.GetValue(Duration), window == "bursty",
            parse.GetValue(TimeScale), parse.GetValue(Rate), parse.GetValue(MaxPrompt), parse.GetValue(MaxOutput), parse.GetValue(TokenScale));
    }

    public ReplaySlo Slo(ParseResult parse) => ReplaySlo.Of(parse.GetValue(TtftSlo), parse.GetValue(TbtSlo));
}
