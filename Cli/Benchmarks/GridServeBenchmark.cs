using System.Globalization;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Compute.Timed;
using BlitzScale.Native.Models;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>What <c>blitz bench serve --hosts N</c> runs on.</summary>
/// <param name="ModelDirectory">The model every instance serves (the hosts share this machine's file system).</param>
/// <param name="Hosts">Emulated hosts (network namespaces), one silo process each.</param>
/// <param name="GpusPerHost">GPUs of each host.</param>
/// <param name="Instances">Instances deployed (spread over the hosts first).</param>
/// <param name="Backend">The silos' compute backend: cpu, cuda or timed.</param>
/// <param name="CostProfile">timed: the cost profile (JSON lines of per-layer times).</param>
/// <param name="CostModel">timed: the profile's row.</param>
/// <param name="TimeDilation">timed: every emulated time is stretched by this.</param>
/// <param name="SiloArgs">Extra silo options.</param>
/// <param name="RedisPort">The testbed's Redis port.</param>
/// <param name="StateDirectory">The testbed's state directory (logs, pid files).</param>
/// <param name="TestbedScript">testbed.sh, or null to find it above the binary.</param>
/// <param name="KeepTestbed">Leave the testbed up afterwards.</param>
internal sealed record GridServeOptions(string ModelDirectory, int Hosts, int GpusPerHost, int Instances,
    string Backend, string? CostProfile, string CostModel, double TimeDilation, string SiloArgs,
    int RedisPort, string StateDirectory, string? TestbedScript, bool KeepTestbed);

/// <summary>
/// <c>blitz bench serve --hosts N</c>: a closed-loop workload through a grid of silo processes (one per emulated host of
/// the testbed, clustered through Redis), measured from a client process: tokens per second through the grid, and the
/// CPU the silos spent per 1000 tokens (how much the grid itself costs per token, which is what routing decides).
/// </summary>
internal static class GridServeBenchmark
{
    private const string Model = "serve";
    // Links are not what this benchmark measures: wide enough that loading the instances at deploy is quick.
    private const int LinkMbit = 10_000;

    public static async Task<GridServeReport> Run(GridServeOptions options, ServeWorkload workload, Action<string> progress, CancellationToken cancellation)
    {
        if (options.Hosts < 1) throw new ArgumentException("--hosts must be ≥ 1");
        if (options.GpusPerHost < 1) throw new ArgumentException("--gpus must be ≥ 1");
        if (options.Instances < 1 || options.Instances > options.Hosts * options.GpusPerHost)
            throw new ArgumentException($"--instances must be in [1, hosts × gpus = {options.Hosts * options.GpusPerHost}], found {options.Instances}");
        string directory = Path.GetFullPath(options.ModelDirectory);
        if (!File.Exists(Path.Combine(directory, "config.json"))) throw new ArgumentException($"--model {options.ModelDirectory}: no config.json there");

        bool timed = options.Backend == "timed";
        CostProfile? profile = null;
        if (timed)
        {
            if (options.CostProfile is null) throw new ArgumentException("--backend timed needs --cost-profile FILE (e.g. ../shared/measurements/h200-layer-costs.jsonl)");
            profile = CostProfile.Load(Path.GetFullPath(options.CostProfile), options.CostModel);
        }
        string siloArgs = string.Join(' ', new[]
        {
            $"--backend {options.Backend}",
            profile is null ? "" : FormattableString.Invariant($"--cost-profile {profile.Path} --cost-model {profile.Model} --time-dilation {options.TimeDilation}"),
            options.SiloArgs,
        }.Where(a => a.Length > 0));
        var report = new GridServeReport
        {
            Model = directory, Hosts = options.Hosts, GpusPerHost = options.GpusPerHost, Instances = options.Instances, SiloArgs = siloArgs,
            Backend = profile is null ? options.Backend : TimedEngine.Describe(profile, options.TimeDilation),
            Emulated = timed,
            Concurrency = workload.Concurrency, Requests = workload.Requests, PromptTokens = workload.PromptTokens, MaxTokens = workload.MaxTokens,
            Cores = Environment.ProcessorCount,
        };
        var testbed = MulticastTestbed.Create(options.TestbedScript, options.StateDirectory, options.Hosts, options.RedisPort, line => progress($"  {line}"));
        try
        {
            progress($"testbed starting: {options.Hosts} hosts × {options.GpusPerHost} GPUs, silo options: {siloArgs}");
            await testbed.Up(LinkMbit, gpuMemoryGiB: 4, storageMBps: 2000, cancellation, options.GpusPerHost, siloArgs);
            await using var cluster = await MulticastCluster.Connect(testbed.RedisEndpoint, MulticastTestbed.ClusterId, cancellation);
            await cluster.WaitForHosts(options.Hosts, cancellation);

            int blocksPerRequest = (workload.PromptTokens + workload.MaxTokens + BatchPolicy.DefaultBlockSize - 1) / BatchPolicy.DefaultBlockSize;
            int perInstance = (workload.Concurrency + options.Instances - 1) / options.Instances;
            progress($"deploy {options.Instances} instance(s) of {directory}");
            int kvBlocks = (perInstance + 4) * blocksPerRequest;
            var deployed = await cluster.Deploy(Model, new DeployRequest { ModelDirectory = directory, Instances = options.Instances, KvBlocks = kvBlocks }, cancellation);
            report.InstancesOn = [.. deployed.Instances.Select(i => i.Gpu)];

            var client = cluster.Client;
            Func<int[], int, Func<Task>, Task> generate = async (prompt, maxTokens, onToken) =>
            {
                var request = new GenerateRequest { PromptIds = prompt, MaxTokens = maxTokens, StopAtEos = false };
                await foreach (var update in client.GenerateStreamingAsync(Model, request, cancellation))
                {
                    if (update.TokenId >= 0) await onToken();
                }
            };
            progress("warm-up (not measured)");
            await workload.Warm(generate, options.Instances * 4);

            progress($"run: {workload.Requests} requests, {workload.Concurrency} at a time");
            var cpu = ProcessCpu.Start(testbed.Silos());
            var client0 = ProcessCpu.Start([Environment.ProcessId]);
            var run = await workload.Run(generate);
            report.SiloCpu = cpu.Stop();
            report.ClientCpu = client0.Stop();
            report.Run = run;
            report.TokensPerSecond = run.TokensPerSecond;
            report.SiloCpuSecondsPer1000Tokens = run.Tokens > 0 ? Math.Round(report.SiloCpu.ProcessCpuSeconds / run.Tokens * 1000, 4) : 0;
            var status = await cluster.Model(Model).GetStatus();
            report.TokensPerInstance = status.Instances.ToDictionary(i => i.Shard, i => i.TokensGenerated);
            progress($"tokens/s = {report.TokensPerSecond:F1}, silo CPU s per 1000 tokens = {report.SiloCpuSecondsPer1000Tokens:F4}");
            if (profile is not null)
            {
                // The instances' batching as the shards set it up (LayerShardGrain.Load): the default budget, its running cap, these blocks.
                var policy = BatchPolicy.ForBudget(null) with { KvBlocks = kvBlocks };
                var config = LlamaConfig.Load(directory);
                double perInstanceRate = ProfileThroughput.Predict(profile, options.TimeDilation, config.NumLayers, config.MaxPositionEmbeddings, policy,
                    perInstance, (workload.Requests + options.Instances - 1) / options.Instances, workload.PromptTokens, workload.MaxTokens);
                double predicted = perInstanceRate * options.Instances, ratio = report.TokensPerSecond / predicted;
                report.ProfileTokensPerSecond = Math.Round(predicted, 1);
                report.MeasuredOverProfile = Math.Round(ratio, 3);
                report.WithinGoal = Math.Abs(ratio - 1) <= GridServeReport.GoalWithin;
                // The same figures in the time of the real cluster the profile was measured on.
                double d = options.TimeDilation;
                report.DividedByDilation = new DilatedFigures(d, Math.Round(run.TokensPerSecond * d, 1),
                    new Percentiles(Math.Round(run.TtftMs.P50 / d, 3), Math.Round(run.TtftMs.P99 / d, 3)),
                    new Percentiles(Math.Round(run.TbtMs.P50 / d, 3), Math.Round(run.TbtMs.P99 / d, 3)));
                progress(string.Create(CultureInfo.InvariantCulture,
                    $"profile predicts {report.ProfileTokensPerSecond:F1} tokens/s for this workload: measured ÷ profile = {report.MeasuredOverProfile:F3}"));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            report.Error = e.Message;
            progress($"stopped: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            await testbed.Finish(options.KeepTestbed, progress);
        }
        return report;
    }
}

/// <summary>The JSON report of <c>blitz bench serve --hosts N</c>.</summary>
internal sealed class GridServeReport
{
    public string Model { get; set; } = "";
    public int Hosts { get; set; }
    public int GpusPerHost { get; set; }
    public int Instances { get; set; }
    public string SiloArgs { get; set; } = "";
    /// <summary>The backend in words; a timed one names its profile and dilation.</summary>
    public string Backend { get; set; } = "";
    /// <summary>Whether compute was emulated (timed): its tokens are pseudo-tokens and its times come from the profile.</summary>
    public bool Emulated { get; set; }
    public int Concurrency { get; set; }
    public int Requests { get; set; }
    public int PromptTokens { get; set; }
    public int MaxTokens { get; set; }
    public int Cores { get; set; }
    public IReadOnlyList<string> InstancesOn { get; set; } = [];
    public double TokensPerSecond { get; set; }
    /// <summary>CPU seconds all silo processes spent during the run, per 1000 tokens delivered to the client.</summary>
    public double SiloCpuSecondsPer1000Tokens { get; set; }
    public RunResult? Run { get; set; }
    public CpuUse? SiloCpu { get; set; }
    public CpuUse? ClientCpu { get; set; }
    public IReadOnlyDictionary<string, long> TokensPerInstance { get; set; } = new Dictionary<string, long>();
    /// <summary>timed: the tokens/s the cost profile predicts for this workload (the same batcher replayed on a virtual clock).</summary>
    public double? ProfileTokensPerSecond { get; set; }
    /// <summary>timed: measured tokens/s ÷ <see cref="ProfileTokensPerSecond"/>.</summary>
    public double? MeasuredOverProfile { get; set; }
    /// <summary>How far from 1 <see cref="MeasuredOverProfile"/> may be.</summary>
    public const double GoalWithin = 0.10;
    public double Goal => GoalWithin;
    /// <summary>timed: whether measured ÷ profile is within <see cref="GoalWithin"/> of 1.</summary>
    public bool? WithinGoal { get; set; }
    /// <summary>Every time above is as measured on this machine (wall clock), dilation included.</summary>
    public string Times => "as measured (wall clock); with --backend timed, divided_by_dilation gives them ÷ D";
    /// <summary>timed: the run's rates and latencies with the dilation taken out (tokens/s × D, times ÷ D).</summary>
    public DilatedFigures? DividedByDilation { get; set; }
    public string? Error { get; set; }
}

/// <summary>A timed run's figures in the real cluster's time: rates × D, latencies ÷ D.</summary>
internal sealed record DilatedFigures(double Dilation, double TokensPerSecond, Percentiles TtftMs, Percentiles TbtMs);
