using System.Diagnostics;
using System.Globalization;
using BlitzScale.Cli.Replay;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Compute.Timed;
using BlitzScale.Native.Models;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// <c>blitz bench replay</c>: on a testbed of emulated hosts with the timed backend, in one run, the same model is deployed
/// under each policy in turn and serves the same window of a real trace, played open loop at a mean rate of a share of the
/// cluster's capacity; per policy TTFT/TBT percentiles, SLO attainment, GPU-seconds and lost requests; blitz ÷ the baselines.
/// </summary>
internal static class ReplayBenchmark
{
    private const string WarmModel = "replay-warmup";
    private const double GpuMemoryGiB = 2;

    public const string CacheIsolation =
        "each policy deploys its own model name (replay-<policy>), undeployed before the next deploys; the model files are dropped from the page cache " +
        "before each deploy, so no policy profits from the one before";

    public static async Task<ReplayBenchReport> Run(ReplayBenchOptions options, Action<string> progress, CancellationToken cancellation)
    {
        Validate(options);
        string directory = Path.GetFullPath(options.ModelDirectory);
        if (!File.Exists(Path.Combine(directory, "config.json"))) throw new ArgumentException($"--model {options.ModelDirectory}: no config.json there");
        var report = new ReplayBenchReport
        {
            Model = directory, Shape = options.Shape, Hosts = options.Hosts, GpusPerHost = options.GpusPerHost, LinkMbit = options.LinkMbit,
            StorageMBps = options.StorageMBps, SequencesPerInstance = options.SequencesPerInstance, Seed = options.Seed, Cores = Environment.ProcessorCount,
            CacheIsolation = CacheIsolation, RealSlo = ReplaySlo.Of(options.TtftSloMs, options.TbtSloMs),
        };
        int vocab;
        long layerBytes;
        using (var model = ModelDirectory.Open(directory))
        {
            report.Layers = model.Config.NumLayers;
            report.ModelBytes = model.Layout.TotalBytes;
            report.ContextTokens = model.Config.MaxPositionEmbeddings;
            layerBytes = model.Layout.Layer(0).ByteLength;
            vocab = model.Config.VocabSize;
        }

        // The timed backend: the profile's costs, stretched by D so the testbed's slower links keep the real cluster's proportions.
        var timed = TimedSetup.Resolve(options.CostProfile, options.CostModel, options.TimeDilation, options.RealLinkGbps, layerBytes, options.LinkMbit,
            $"bench replay runs the timed backend: give --cost-profile FILE (e.g. {LiveOptions.DefaultCostProfile})");
        var profile = timed.Profile;
        double d = timed.Dilation;
        report.TimeDilationSource = timed.DilationSource;
        report.CostProfile = profile.Path;
        report.CostModel = profile.Model;
        report.TimeDilation = d;
        report.Backend = timed.Backend;
        string siloArgs = "--backend timed " + timed.SiloArgs;
        progress($"{report.Backend}; {report.TimeDilationSource}");

        // The whole trace at its own pace first: its mean token counts give one instance's capacity, which gives the rate.
        int gpus = options.Hosts * options.GpusPerHost;
        var whole = ReplayPlan.Build(options.Plan with { Start = null, Duration = null, Bursty = false, TimeScale = null, Rate = null }, report.ContextTokens);
        var caps = whole.Schedule.Caps;
        report.KvBlocks = LiveRates.KvBlocks(options.SequencesPerInstance, caps.MaxPromptTokens, caps.MaxOutputTokens);
        int meanPrompt = (int)Math.Round(whole.Schedule.Arrivals.Average(a => a.PromptTokens));
        int meanOutput = Math.Max(1, (int)Math.Round(whole.Schedule.Arrivals.Average(a => a.OutputTokens)));
        double capacity = Math.Round(ProfileThroughput.Predict(profile, d, report.Layers, report.ContextTokens, LiveRates.Policy(report.KvBlocks),
            clients: 2 * options.SequencesPerInstance, requests: 50 * options.SequencesPerInstance, meanPrompt, meanOutput) / meanOutput, 3);
        double? rate = options.Plan.Rate;
        if (options.Plan.TimeScale is not null || rate is not null)
        {
            report.RateSource = rate is not null ? "given (--rate)" : "given (--time-scale)";
        }
        else
        {
            rate = Math.Round(options.LoadShare * gpus * capacity, 3);
            report.RateSource = FormattableString.Invariant(
                $"the mean rate is {options.LoadShare} × the cluster's capacity: {gpus} GPUs × {capacity} requests/s (the profile's prediction for one instance, {options.SequencesPerInstance} at once, {meanPrompt}-token prompts, {meanOutput}-token outputs: the whole trace's means after the caps) = {rate} requests/s");
        }
        // Without --duration the window is as long as the trace must be to fill about --played-seconds at that rate.
        var planOptions = options.Plan;
        if (planOptions.Duration is null)
        {
            double traceMean = whole.Window.MeanRps;
            double seconds = options.Plan.TimeScale is { } x ? options.PlayedSeconds / x : options.PlayedSeconds * rate!.Value / traceMean;
            planOptions = planOptions with { Duration = Math.Round(Math.Min(seconds, whole.Trace.SpanSeconds), 1) };
            report.WindowSource = FormattableString.Invariant(
                $"{planOptions.Duration} trace seconds: about --played-seconds {options.PlayedSeconds} at the played rate, the trace's mean being {traceMean:0.###} requests/s");
        }
        var plan = ReplayPlan.Build(planOptions, report.ContextTokens, options.Plan.TimeScale is null ? rate : null);
        var wallSlo = ReplaySlo.Of(options.TtftSloMs * d, options.TbtSloMs * d);
        report.Setting = ReplaySetting.Of(plan.Trace, plan.Window, plan.Schedule, wallSlo);
        report.Needs = ReplayNeeds.Of(capacity, report.Setting.PlayedPeakRps, report.Setting.PlayedMeanRps, gpus);
        var policies = ReplayBenchPolicy.Parse(options.Policies, report.Needs);
        progress($"window: {report.Setting.Describe()}");
        progress(string.Create(CultureInfo.InvariantCulture,
            $"rate: {report.RateSource}; needs: {report.Needs.Peak} instance(s) at the peak, {report.Needs.Average} on average; objectives (wall clock, × D): TTFT {wallSlo.TtftMs:F0} ms, TBT {wallSlo.TbtMs:F0} ms"));

        var testbed = MulticastTestbed.Create(options.TestbedScript, options.StateDirectory, options.Hosts, options.RedisPort, line => progress($"  {line}"));
        try
        {
            progress($"testbed up: {options.Hosts} hosts × {options.GpusPerHost} GPUs at {options.LinkMbit} Mbit/s, storage {options.StorageMBps:F1} MB/s, silo options: {siloArgs}");
            await testbed.Up(options.LinkMbit, GpuMemoryGiB, options.StorageMBps, cancellation, options.GpusPerHost, siloArgs);
            await using var cluster = await MulticastCluster.Connect(testbed.RedisEndpoint, MulticastTestbed.ClusterId, cancellation);
            await cluster.WaitForHosts(options.Hosts, cancellation);
            var gpuKeys = LiveBenchmark.Gpus(options.Hosts, options.GpusPerHost);
            await WarmUp(cluster, directory, gpuKeys, report.KvBlocks, vocab, progress, cancellation);
            foreach (var policy in policies)
                report.Policies[policy.Name] = await RunPolicy(cluster, policy, plan.Schedule, wallSlo, directory, gpuKeys, report.KvBlocks, d, vocab, options.Seed, progress, cancellation);
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
        report.Finish();
        return report;
    }

    private static void Validate(ReplayBenchOptions o)
    {
        if (o.Hosts < 1) throw new ArgumentException("--hosts must be ≥ 1");
        if (o.GpusPerHost < 1) throw new ArgumentException("--gpus must be ≥ 1");
        if (o.LinkMbit < 1) throw new ArgumentException("--link-mbit must be ≥ 1");
        if (!(o.StorageMBps > 0)) throw new ArgumentException("--storage-mbps must be > 0");
        if (!(o.RealLinkGbps > 0)) throw new ArgumentException("--real-link-gbps must be > 0");
        if (o.SequencesPerInstance < 1) throw new ArgumentException("--sequences-per-instance must be ≥ 1");
        if (!(o.LoadShare > 0) || !double.IsFinite(o.LoadShare)) throw new ArgumentException($"--load-share must be > 0, found {o.LoadShare}");
        // Names are checked before the testbed comes up; the static counts are filled in once the needs are known.
        ReplayBenchPolicy.Parse(o.Policies, ReplayNeeds.Of(1, 1, 1, 1));
    }

    /// <summary>Every code path once (deploy, generate, undeploy) on a model of its own, so the first policy does not pay for the JIT.</summary>
    private static async Task WarmUp(MulticastCluster cluster, string directory, IReadOnlyList<string> gpus, int kvBlocks, int vocab, Action<string> progress,
        CancellationToken cancellation)
    {
        progress($"warm-up: deploy {WarmModel} on {gpus[0]}, 4 requests, undeploy");
        await cluster.Deploy(WarmModel, new DeployRequest { ModelDirectory = directory, Instances = 1, Gpus = [gpus[0]], KvBlocks = kvBlocks }, cancellation);
        var prompts = new ServeWorkload(1, 1, 1, 1, vocab);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            cluster.Client.GenerateAsync(WarmModel, new GenerateRequest { PromptIds = prompts.Prompt(i, 32), MaxTokens = 8, StopAtEos = false }, cancellation)));
        await cluster.Undeploy(WarmModel, gpus, cancellation);
    }

    private static async Task<ReplayResult> RunPolicy(MulticastCluster cluster, ReplayBenchPolicy policy, ReplaySchedule schedule, ReplaySlo slo, string directory,
        IReadOnlyList<string> gpus, int kvBlocks, double timeDilation, int vocab, int seed, Action<string> progress, CancellationToken cancellation)
    {
        var result = new ReplayResult { Policy = policy.Name, ModelName = $"replay-{policy.Name}", Deployment = policy.Describe() };
        bool deployed = false;
        try
        {
            await MulticastTestbed.DropFromPageCache(directory, cancellation);
            var request = policy.Deploy(directory, gpus, kvBlocks, timeDilation);
            progress($"{policy.Name}: deploy {result.ModelName} on {string.Join(", ", request.Gpus!)} ({result.Deployment})");
            var clock = Stopwatch.StartNew();
            deployed = true;
            await cluster.Deploy(result.ModelName, request, cancellation);
            result.DeploySeconds = Math.Round(clock.Elapsed.TotalSeconds, 3);
            progress(string.Create(CultureInfo.InvariantCulture, $"{policy.Name}: {schedule.Arrivals.Count} requests over {schedule.DurationSeconds:F1} s"));
            double next = 0;
            await new Replayer(cluster.Client, TimeProvider.System, vocab, seed).Run(result.ModelName, schedule, slo, Replayer.DefaultDrain, result,
                (counters, sample, at) =>
                {
                    if (at < next) return;
                    next = at + ReplayProgressView.PlainEvery.TotalSeconds;
                    progress($"{policy.Name}: {ReplayProgressView.Describe(at, schedule.DurationSeconds, schedule.Arrivals.Count, counters, sample)}");
                }, cancellation);
            var f = result.Figures!;
            progress(string.Create(CultureInfo.InvariantCulture,
                $"{policy.Name}: TTFT p50 {f.TtftMs?.P50:F1} p99 {f.TtftMs?.P99:F1} ms, TBT p99 {f.TbtMs?.P99:F1} ms, SLO attainment {f.SloAttainment:P1}, " +
                $"{f.GpuSeconds:F1} GPU-s (peak {f.PeakGpus}), failed {f.Failed}, lost {f.Lost}, driver lag ≤ {f.MaxStartLagMs:F1} ms, " +
                $"autoscaler decisions: {string.Join(", ", result.Decisions.GroupBy(d => d.Action).Select(g => $"{g.Key} {g.Count()}").DefaultIfEmpty("none"))}"));
            if (f.Failed + f.Lost > 0 && result.Log!.FirstOrDefault(r => r.Outcome != ReplayOutcome.Ok) is { } bad)
                result.Error = $"{f.Failed} failed and {f.Lost} lost of {f.Requests} requests, e.g. request {bad.Index}: {bad.Error}";
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            result.Error = e.Message;
            progress($"{policy.Name}: stopped: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            if (deployed) await Undeploy(cluster, result, gpus, progress, cancellation);
        }
        return result;
    }

    private static async Task Undeploy(MulticastCluster cluster, ReplayResult result, IReadOnlyList<string> gpus, Action<string> progress, CancellationToken cancellation)
    {
        try
        {
            progress($"{result.Policy}: undeploy {result.ModelName}");
            await cluster.Undeploy(result.ModelName, gpus, cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            result.Error ??= $"undeploy: {e.Message}";
        }
    }
}
