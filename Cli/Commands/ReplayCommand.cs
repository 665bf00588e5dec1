using System.CommandLine;
using System.Text.Json;
using BlitzScale.Cli.Replay;
using BlitzScale.Native.Models;

namespace BlitzScale.Cli.Commands;

/// <summary><c>blitz replay</c>: replays a window of a request trace open loop against a model deployed on a running grid.</summary>
internal static class ReplayCommand
{
    private const string Purpose = "replay drives a model deployed on a running grid";

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The deployed model's name in the grid", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the prompts' token ids", DefaultValueFactory = _ => 1 };
        var drain = new Option<double>("--drain-seconds")
        {
            Description = "Requests still open this long after the last arrival are cancelled and counted as lost", DefaultValueFactory = _ => Replayer.DefaultDrain.TotalSeconds,
        };
        var cluster = GridOptions.RunningCluster(Purpose);
        var clusterId = GridOptions.ClusterId();
        var connectTimeout = GridOptions.ConnectTimeout();
        var tls = new TlsArguments();
        var replay = new ReplayOptions(traceRequired: true, defaultTrace: null, ReplaySlo.DefaultTtftMs, ReplaySlo.DefaultTbtMs, defaultDuration: null);
        var command = new Command("replay",
            "Replay a request trace open loop (each request at its time, prompt and output lengths from the trace, EOS ignored) against a deployed model; " +
            "report TTFT/TBT percentiles, SLO attainment, GPU-seconds and lost requests")
        {
            model, seed, drain, cluster, clusterId, connectTimeout,
        };
        replay.AddTo(command);
        foreach (var option in tls.All) command.Options.Add(option);
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            var connection = GridOptions.Connection(parse, cluster, clusterId, connectTimeout, tls);
            string clusterValue = GridOptions.Require(connection.Cluster, Purpose);
            string name = parse.GetValue(model)!;
            double drainSeconds = parse.GetValue(drain);
            if (!(drainSeconds >= 0)) throw new ArgumentException($"--drain-seconds must be ≥ 0, found {drainSeconds}");
            var slo = replay.Slo(parse);
            var planOptions = replay.Plan(parse);
            // The trace and the window are read before connecting: a malformed trace is said at once, not after a cluster's answer.
            var cut = ReplayPlan.Cut(planOptions);
            await using var grid = await GridSession.Open(connection, cancellation);
            var status = await grid.Client.StatusAsync(cancellation);
            var deployed = status.Models.FirstOrDefault(m => m.Model == name)
                ?? throw new ArgumentException($"--model {name}: not deployed on {clusterValue} (deployed: {(status.Models.Count == 0 ? "none" : string.Join(", ", status.Models.Select(m => m.Model)))})");
            var config = ReadConfig(deployed.ModelDirectory, name);
            var plan = ReplayPlan.Build(planOptions, cut, config.MaxPositionEmbeddings);
            var setting = ReplaySetting.Of(plan.Trace, plan.Window, plan.Schedule, slo);
            Console.Error.WriteLine($"replay: {setting.Describe()}");
            var gpus = deployed.Instances.Select(i => i.Gpu).ToHashSet(StringComparer.Ordinal);
            var backends = status.Hosts.SelectMany(h => h.Gpus).Where(g => gpus.Contains(g.Key)).Select(g => g.BackendDescription ?? g.Backend).Distinct().ToList();

            var replayer = new Replayer(grid.Client, TimeProvider.System, config.VocabSize, parse.GetValue(seed));
            var result = await ReplayProgressView.Show(setting.PlayedSeconds, setting.Requests, Console.Error, tick =>
                replayer.Run(name, plan.Schedule, slo, TimeSpan.FromSeconds(drainSeconds), new ReplayResult { ModelName = name }, tick, cancellation));
            var report = new ReplayReport { Cluster = clusterValue, Setting = setting, Backends = backends, Run = result };
            await Write(report, parse.GetValue(replay.Json), parse.GetValue(replay.Plot), $"replay of {Path.GetFileName(setting.Trace)} on {name}");
            return report.Failed ? 1 : 0;
        }));
        return command;
    }

    /// <summary>The model's config.json, for its context length (the token caps) and its vocabulary (the prompts' ids).</summary>
    private static LlamaConfig ReadConfig(string directory, string model)
    {
        if (!File.Exists(Path.Combine(directory, "config.json")))
            throw new ArgumentException($"--model {model}: its directory {directory} has no config.json here; run replay where the model's directory is visible (it reads the context length and vocabulary)");
        return LlamaConfig.Load(directory);
    }

    private static async Task Write(ReplayReport report, string? json, string? plot, string title)
    {
        if (json is not null)
        {
            await OutputFile.WriteAsync(json, JsonSerializer.Serialize(report, CliJson.Indented) + Environment.NewLine, "--json");
            Console.Error.WriteLine($"replay: report with every request and cluster sample written to {json}");
        }
        if (plot is not null)
        {
            ReplayPlot.Write(plot, title, [report.Run]);
            Console.Error.WriteLine($"replay: plot written to {plot}");
        }
        report.Run.DropLogs();
        Console.WriteLine(JsonSerializer.Serialize(report, CliJson.Indented));
    }
}
