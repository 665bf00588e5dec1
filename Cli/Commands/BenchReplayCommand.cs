using System.CommandLine;
using System.Text.Json;
using BlitzScale.Cli.Benchmarks;
using BlitzScale.Cli.Replay;

namespace BlitzScale.Cli.Commands;

/// <summary><c>blitz bench replay</c>: every policy replays the same trace window on the testbed; blitz ÷ the baselines.</summary>
internal static class BenchReplayCommand
{
    /// <summary>The testbed, model and trace options with bench replay's defaults.</summary>
    internal static ReplayBenchArguments Arguments()
    {
        var arguments = new ReplayBenchArguments(ReplayBenchOptions.DefaultPlayedSeconds);
        // The default rate is the peak's fit; a --load-share given replaces it, so it shows no default of its own here.
        arguments.PeakShare.DefaultValueFactory = _ => ReplayBenchOptions.DefaultPeakShare;
        arguments.LoadShare.DefaultValueFactory = null;
        return arguments;
    }

    public static Command Create()
    {
        var arguments = Arguments();
        var policies = new Option<string>("--policies")
        {
            Description = "Policies to run, in order: blitz, blitz-fast, sllm, allcache (autoscaled), static-peak, static-average (fixed instances)",
            DefaultValueFactory = _ => ReplayBenchOptions.DefaultPolicies,
        };
        var rounds = new Option<int>("--rounds")
        {
            Description = "Run the policies this many times on the same testbed, every other round in reverse order; the ratios are the rounds' medians",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("replay",
            "On a testbed of emulated hosts (root), timed backend: each policy deploys the same model and replays the same bursty trace window open loop; " +
            "TTFT/TBT percentiles, SLO attainment, GPU-seconds, lost requests, blitz's p99 TTFT over sllm's and allcache's and its GPU-seconds over static-peak's")
        {
            policies,
            rounds,
        };
        arguments.AddTo(command);
        var replay = arguments.Replay;
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            MulticastTestbed.RequireRoot("bench replay");
            // Before Options, which makes the synthetic model when none is given.
            int roundCount = ReplayBenchOptions.CheckRounds(parse.GetValue(rounds));
            var options = arguments.Options(parse, [.. parse.GetValue(policies)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)])
                with { Rounds = roundCount };
            Action<string> progress = step => Console.Error.WriteLine($"bench replay: {step}");
            var report = await ReplayBenchmark.Run(options, progress, cancellation);
            if (parse.GetValue(replay.Json) is { } file)
            {
                await OutputFile.WriteAsync(file, JsonSerializer.Serialize(report, CliJson.Indented) + Environment.NewLine, "--json");
                progress($"report with every request and cluster sample written to {file}");
            }
            if (parse.GetValue(replay.Plot) is { } png)
            {
                ReplayPlot.Write(png, FormattableString.Invariant($"bench replay: {Path.GetFileName(report.Setting?.Trace)}, timed {report.CostModel} profile, D = {report.TimeDilation}"),
                    [.. report.Policies.Values]);
                progress($"plot written to {png}");
            }
            report.DropLogs();
            Console.WriteLine(JsonSerializer.Serialize(report, CliJson.Indented));
            return report.Failed ? 1 : 0;
        }));
        return command;
    }
}
