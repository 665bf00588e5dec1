using System.CommandLine;
using System.Text.Json;
using BlitzScale.Cli.Benchmarks;
using BlitzScale.Cli.Replay;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Cli.Commands;

/// <summary><c>blitz bench replay</c>: every policy replays the same trace window on the testbed; blitz ÷ the baselines.</summary>
internal static class BenchReplayCommand
{
    public static Command Create()
    {
        var hosts = new Option<int>("--hosts") { Description = "Emulated hosts (network namespaces), one silo each", DefaultValueFactory = _ => ReplayBenchOptions.DefaultHosts };
        var gpus = new Option<int>("--gpus") { Description = "GPUs per host", DefaultValueFactory = _ => 1 };
        var costProfile = new Option<string?>("--cost-profile") { Description = $"The timed backend's cost profile (default {LiveOptions.DefaultCostProfile} when it exists)" };
        var costModel = new Option<string>("--cost-model") { Description = "The profile's row", DefaultValueFactory = _ => "llama3-8b" };
        var dilation = new Option<double?>("--time-dilation") { Description = "Every emulated time is stretched by this (default: derived from the link and the layer bytes)" };
        var realLink = new Option<double>("--real-link-gbps")
        {
            Description = "The real cluster's link that the derived dilation maps the testbed's link to", DefaultValueFactory = _ => LiveOptions.DefaultRealLinkGbps,
        };
        var linkMbit = new Option<int>("--link-mbit") { Description = "Each host's link rate in Mbit/s, both directions", DefaultValueFactory = _ => LiveOptions.DefaultLinkMbit };
        var storage = new Option<double?>("--storage-mbps") { Description = "Each host's emulated storage read rate in MB/s (default: 0.4 × the link's byte rate)" };
        var model = new Option<string?>("--model") { Description = "Model directory (default: the synthetic --shape in --dtype, created once in the cache)" };
        var shape = new Option<string>("--shape") { Description = "Synthetic shape when --model is absent", DefaultValueFactory = _ => LiveOptions.DefaultShape };
        var dtype = new Option<string>("--dtype") { Description = "Synthetic dtype when --model is absent", DefaultValueFactory = _ => LiveOptions.DefaultDType };
        var sequences = new Option<int>("--sequences-per-instance")
        {
            Description = "Requests one instance runs at once (its KV blocks hold this many of the longest capped requests)",
            DefaultValueFactory = _ => LiveOptions.DefaultSequencesPerInstance,
        };
        var loadShare = new Option<double>("--load-share")
        {
            Description = "Play the window at this share of the cluster's capacity (every GPU serving), unless --rate or --time-scale is given",
            DefaultValueFactory = _ => ReplayBenchOptions.DefaultLoadShare,
        };
        var played = new Option<double>("--played-seconds")
        {
            Description = "Without --duration: make the window as long as needed to play about this long", DefaultValueFactory = _ => ReplayBenchOptions.DefaultPlayedSeconds,
        };
        var seed = new Option<int>("--seed") { Description = "Seed of the prompts' token ids", DefaultValueFactory = _ => 1 };
        var policies = new Option<string>("--policies")
        {
            Description = "Policies to run, in order: blitz, blitz-fast, sllm, allcache (autoscaled), static-peak, static-average (fixed instances)",
            DefaultValueFactory = _ => ReplayBenchOptions.DefaultPolicies,
        };
        var redisPort = new Option<int>("--redis-port") { Description = "The testbed's Redis port", DefaultValueFactory = _ => 6399 };
        var state = new Option<string>("--state") { Description = "The testbed's state directory (silo logs, pid files)", DefaultValueFactory = _ => "/tmp/blitz-testbed" };
        var testbed = new Option<string?>("--testbed") { Description = "Path of testbed.sh (default: testbed/testbed.sh above the blitz binary)" };
        var keep = new Option<bool>("--keep-testbed") { Description = "Leave the testbed up afterwards (testbed.sh down removes it)" };
        var replay = new ReplayOptions(traceRequired: false, ReplayBenchOptions.DefaultTrace, ReplayBenchOptions.DefaultTtftSloMs, ReplayBenchOptions.DefaultTbtSloMs,
            defaultDuration: null);
        replay.Duration.Description = "Window length in trace seconds (default: what fills about --played-seconds at the played rate)";
        replay.TtftSlo.Description = $"TTFT objective in ms of the real cluster; the wall-clock objective is this × the dilation (default {ReplayBenchOptions.DefaultTtftSloMs})";
        replay.TbtSlo.Description = $"Mean time-between-tokens objective in ms of the real cluster, × the dilation on the wall clock (default {ReplayBenchOptions.DefaultTbtSloMs})";
        replay.MaxPrompt.DefaultValueFactory = _ => ReplayBenchOptions.DefaultMaxPromptTokens;
        replay.MaxOutput.DefaultValueFactory = _ => ReplayBenchOptions.DefaultMaxOutputTokens;
        replay.Window.DefaultValueFactory = _ => "bursty";
        var command = new Command("replay",
            "On a testbed of emulated hosts (root), timed backend: each policy deploys the same model and replays the same bursty trace window open loop; " +
            "TTFT/TBT percentiles, SLO attainment, GPU-seconds, lost requests, blitz's p99 TTFT over sllm's and allcache's and its GPU-seconds over static-peak's")
        {
            hosts, gpus, costProfile, costModel, dilation, realLink, linkMbit, storage, model, shape, dtype, sequences, played, loadShare, seed, policies,
            redisPort, state, testbed, keep,
        };
        replay.AddTo(command);
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            string? modelDirectory = parse.GetValue(model);
            string shapeName = parse.GetValue(shape)!, dtypeName = parse.GetValue(dtype)!;
            string path = ModelSource.Resolve(modelDirectory, shapeName, DTypes.Parse(dtypeName));
            string? profile = parse.GetValue(costProfile);
            if (profile is null && File.Exists(LiveOptions.DefaultCostProfile)) profile = LiveOptions.DefaultCostProfile;
            int link = parse.GetValue(linkMbit);
            var plan = replay.Plan(parse);
            // --start picks a window instead of the default bursty one.
            if (parse.GetResult(replay.Start) is not null) plan = plan with { Bursty = false };
            var options = new ReplayBenchOptions(path, modelDirectory is null ? $"{shapeName} {dtypeName}" : null, parse.GetValue(hosts), parse.GetValue(gpus),
                profile, parse.GetValue(costModel)!, parse.GetValue(dilation), parse.GetValue(realLink), link, parse.GetValue(storage) ?? 0.4 * link / 8,
                parse.GetValue(sequences), plan, parse.GetValue(played), parse.GetValue(loadShare), parse.GetValue(replay.TtftSlo), parse.GetValue(replay.TbtSlo), parse.GetValue(seed),
                [.. parse.GetValue(policies)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                parse.GetValue(redisPort), parse.GetValue(state)!, parse.GetValue(testbed), parse.GetValue(keep));
            Action<string> progress = step => Console.Error.WriteLine($"bench replay: {step}");
            var report = await ReplayBenchmark.Run(options, progress, cancellation);
            if (parse.GetValue(replay.Json) is { } file)
            {
                await File.WriteAllTextAsync(file, JsonSerializer.Serialize(report, CliJson.Indented) + Environment.NewLine, CancellationToken.None);
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
