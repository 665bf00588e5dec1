using System.CommandLine;
using System.Text.Json;
using BlitzScale.Cli.Benchmarks;

namespace BlitzScale.Cli.Commands;

/// <summary><c>blitz bench chaos</c>: a trace window replayed twice on the testbed, without and with seeded faults; lost, failed, resumed, differing.</summary>
internal static class BenchChaosCommand
{
    /// <summary>The testbed, model and trace options with bench chaos's defaults: a fixed load share, no peak fit, its own model and prompt cap.</summary>
    internal static ReplayBenchArguments Arguments()
    {
        var arguments = new ReplayBenchArguments(ChaosOptions.DefaultPlayedSeconds);
        arguments.LoadShare.DefaultValueFactory = _ => ChaosOptions.DefaultLoadShare;
        arguments.Shape.DefaultValueFactory = _ => ChaosOptions.DefaultShape;
        arguments.Replay.MaxPrompt.DefaultValueFactory = _ => ChaosOptions.DefaultMaxPromptTokens;
        arguments.Replay.MaxPrompt.Description = "Cap on prompt tokens";
        return arguments;
    }

    public static Command Create()
    {
        var arguments = Arguments();
        var faultSeed = new Option<int>("--fault-seed") { Description = "Seed of the fault schedule (when, how long, which host)", DefaultValueFactory = _ => ChaosOptions.DefaultFaultSeed };
        var faults = new Option<string>("--faults") { Description = $"Faults to apply, each once: {ChaosFaultKinds.Names}", DefaultValueFactory = _ => ChaosOptions.DefaultFaults };
        var hold = new Option<string>("--hold-seconds")
        {
            Description = "How long a killed silo stays down or a link stays degraded: MIN-MAX seconds, drawn per fault",
            DefaultValueFactory = _ => FormattableString.Invariant($"{ChaosBounds.DefaultMinHoldSeconds}-{ChaosBounds.DefaultMaxHoldSeconds}"),
        };
        var divisor = new Option<int>("--rate-divisor") { Description = "A degraded link runs at its rate ÷ this", DefaultValueFactory = _ => ChaosOptions.DefaultRateDivisor };
        var withGrain = new Option<bool>("--source-with-model-grain")
        {
            Description = "The source-kill's source is, when one serves there, the GPU on the host whose silo holds the model grain: the kill takes both",
        };
        var command = new Command("chaos",
            "On a testbed of emulated hosts (root), timed backend: one model under blitz with the autoscaler replays a bursty trace window without faults, then with " +
            "seeded faults (a silo killed and restarted, a source killed mid-load, a link degraded); requests sent, completed, failed, lost, resumed, greedy outputs " +
            "differing from the fault-free run, and the load-time ratio with the fault ÷ without. Exit 1 unless nothing was lost, failed or different")
        {
            faultSeed, faults, hold, divisor, withGrain,
        };
        arguments.AddTo(command);
        arguments.Replay.Plot.Description = "Write a PNG of both runs: load and instances per state over time, and the TTFT CDF";
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            MulticastTestbed.RequireRoot("bench chaos");
            var options = new ChaosOptions(arguments.Options(parse, ["blitz"]), parse.GetValue(faultSeed), ChaosFaultKinds.Parse(parse.GetValue(faults)!),
                HoldBounds(parse.GetValue(hold)!), parse.GetValue(divisor), parse.GetValue(withGrain));
            Action<string> progress = step => Console.Error.WriteLine($"bench chaos: {step}");
            var report = await ChaosBenchmark.Run(options, progress, cancellation);
            if (parse.GetValue(arguments.Replay.Json) is { } file)
            {
                await OutputFile.WriteAsync(file, JsonSerializer.Serialize(report, CliJson.Indented) + Environment.NewLine, "--json");
                progress($"report with every request (output token ids included) and cluster sample written to {file}");
            }
            if (parse.GetValue(arguments.Replay.Plot) is { } png && report.Reference is not null && report.Faulty is not null)
            {
                Replay.ReplayPlot.Write(png, FormattableString.Invariant($"bench chaos: timed {report.CostModel} profile, D = {report.TimeDilation}, fault seed {report.FaultSeed}"),
                    [report.Reference, report.Faulty]);
                progress($"plot written to {png}");
            }
            Console.Write(ChaosSummary.Of(report));
            return report.Failed ? CliErrors.Failure : 0;
        }));
        return command;
    }

    /// <summary>"MIN-MAX" (or one number for both) as fault bounds.</summary>
    /// <exception cref="ArgumentException">Not one or two numbers.</exception>
    public static ChaosBounds HoldBounds(string text)
    {
        string[] parts = text.Split('-', StringSplitOptions.TrimEntries);
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        if (parts.Length is < 1 or > 2 || parts.Any(p => !double.TryParse(p, System.Globalization.NumberStyles.Float, culture, out _)))
            throw new ArgumentException($"--hold-seconds: expected MIN-MAX seconds such as 4-8, found \"{text}\"");
        double min = double.Parse(parts[0], culture), max = double.Parse(parts[^1], culture);
        return ChaosBounds.Default with { MinHoldSeconds = min, MaxHoldSeconds = max };
    }
}
