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
    public const string CacheIsolation =
        "each policy deploys its own model name (replay-<policy>), undeployed before the next deploys; the model files are dropped from the page cache " +
        "before each deploy, so no policy profits from the one before";

    public static async Task<ReplayBenchReport> Run(ReplayBenchOptions options, Action<string> progress, CancellationToken cancellation)
    {
        options.Validate();
        var setup = ReplayBenchSetup.Resolve(options, "bench replay", progress);
        var report = new ReplayBenchReport
        {
            CacheIsolation = CacheIsolation, RealSlo = ReplaySlo.Of(options.TtftSloMs, options.TbtSloMs), ContextTokens = setup.ContextTokens, Needs = setup.Needs,
        };
        report.Describe(options, setup);
        var policies = ReplayBenchPolicy.Parse(options.Policies, setup.Needs);
        string siloArgs = setup.SiloArgs;

        var testbed = MulticastTestbed.Create(options.TestbedScript, options.StateDirectory, options.Hosts, options.RedisPort, line => progress($"  {line}"));
        try
        {
            progress($"testbed starting: {options.Hosts} hosts × {options.GpusPerHost} GPUs at {options.LinkMbit} Mbit/s, storage {options.StorageMBps:F1} MB/s, silo options: {siloArgs}");
            await testbed.Up(options.LinkMbit, setup.GpuMemoryGiB, options.StorageMBps, cancellation, options.GpusPerHost, siloArgs);
            await using var cluster = await MulticastCluster.Connect(testbed.RedisEndpoint, MulticastTestbed.ClusterId, cancellation);
            await cluster.WaitForHosts(options.Hosts, cancellation);
            var gpuKeys = LiveBenchmark.Gpus(options.Hosts, options.GpusPerHost);
            await WarmUp(cluster, setup.Directory, gpuKeys, setup.KvBlocks, setup.Vocab, progress, cancellation);
            await BenchRounds.Run(options.Rounds, policies, p => p.Name, report.Policies, report.LaterRounds,
                policy => RunPolicy(cluster, policy, $"replay-{policy.Name}", setup, gpuKeys, options.Seed, null, progress, cancellation), progress);
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

    /// <summary>
    /// Every path the policies run, once, on a model of its own, so that the first policy (blitz) does not pay the JIT of a path
    /// for those after it: deploy and generate; a scale to every GPU under a closed loop that overloads the first instance
    /// (multicast chains, a live pair and its split steps); a scale down, which drains; undeploy; then the same under sllm
    /// (each host's own copy read from storage, loads from host memory: sllm's and allcache's path).
    /// </summary>
    /// <remarks>
    /// Until 4 December it deployed one instance and sent 4 requests, so blitz, the first policy, ran every scaling path first
    /// (bench live, whose warm-up scaled without load: the first split step took 397 ms, with 517 ms of JIT since the pair formed).
    /// </remarks>
    public static async Task WarmUp(MulticastCluster cluster, string directory, IReadOnlyList<string> gpus, int kvBlocks, int vocab, Action<string> progress,
        CancellationToken cancellation)
    {
        var prompts = new ServeWorkload(1, 1, 1, 1, vocab);
        Func<int[], int, Func<Task>, Task> generate = (prompt, maxTokens, _) =>
            cluster.Client.GenerateAsync(WarmModel, new GenerateRequest { PromptIds = prompt, MaxTokens = maxTokens, StopAtEos = false }, cancellation);
        IReadOnlyList<string> added = [.. gpus.Skip(1)];
        progress($"warm-up: deploy {WarmModel} (blitz) on {gpus[0]}, scale to {gpus.Count} under a closed loop of {WarmClients} requests, down to 1, undeploy");
        await cluster.Deploy(WarmModel, WarmDeploy(directory, gpus[0], kvBlocks, LoadPolicy.Blitz), cancellation);
        if (added.Count > 0)
        {
            using var load = new ClosedLoad(generate, prompts, WarmClients, WarmPromptTokens, WarmOutputTokens);
            await cluster.ScaleUp(WarmModel, new ScaleRequest { Instances = gpus.Count, Gpus = added, ReviveWarm = false }, cancellation);
            int served = await load.StopAsync();
            await cluster.ScaleDown(WarmModel, 1, gpus, cancellation);
            progress($"warm-up: {served} requests served while it scaled");
        }
        await cluster.Undeploy(WarmModel, gpus, cancellation);

        progress($"warm-up: deploy {WarmModel} (sllm) on {gpus[0]}, scale to {gpus.Count}, 4 requests, undeploy");
        await cluster.Deploy(WarmModel, WarmDeploy(directory, gpus[0], kvBlocks, LoadPolicy.Sllm), cancellation);
        if (added.Count > 0) await cluster.ScaleUp(WarmModel, new ScaleRequest { Instances = gpus.Count, Gpus = added, ReviveWarm = false }, cancellation);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => generate(prompts.Prompt(i, WarmPromptTokens), WarmOutputTokens, () => Task.CompletedTask)));
        await cluster.Undeploy(WarmModel, gpus, cancellation);
    }

    // Twice the most requests an instance runs at once (64): the first instance is overloaded, so a new one pairs live and is
    // sent requests while it loads.
    private const int WarmClients = 128;
    private const int WarmPromptTokens = 32;
    private const int WarmOutputTokens = 8;

    private static DeployRequest WarmDeploy(string directory, string gpu, int kvBlocks, LoadPolicy policy) => new()
    {
        ModelDirectory = directory, Instances = 1, Gpus = [gpu], KvBlocks = kvBlocks, Policy = policy, MaxQueuedRequests = ReplayBenchPolicy.BenchQueueBound,
    };

    /// <summary>
    /// One policy's replay as <c>model</c>: deploy (page cache dropped first), replay the setup's schedule, undeploy. While the
    /// replay runs, <paramref name="alongside"/> (bench chaos's faults) runs beside it with the model's name and a token that
    /// is cancelled when the replay ends; what it throws becomes the run's error. <paramref name="maxInstances"/> caps the autoscaler.
    /// </summary>
    public static async Task<ReplayResult> RunPolicy(MulticastCluster cluster, ReplayBenchPolicy policy, string model, ReplayBenchSetup setup,
        IReadOnlyList<string> gpus, int seed, Func<string, CancellationToken, Task>? alongside, Action<string> progress, CancellationToken cancellation,
        int? maxInstances = null)
    {
        var schedule = setup.Plan.Schedule;
        var result = new ReplayResult { Policy = policy.Name, ModelName = model, Deployment = policy.Describe(maxInstances) };
        bool deployed = false;
        try
        {
            await MulticastTestbed.DropFromPageCache(setup.Directory, cancellation);
            var request = policy.Deploy(setup.Directory, gpus, setup.KvBlocks, setup.Timed.Dilation, maxInstances);
            progress($"{policy.Name}: deploy {result.ModelName} on {string.Join(", ", request.Gpus!)} ({result.Deployment})");
            var clock = Stopwatch.StartNew();
            deployed = true;
            await cluster.Deploy(result.ModelName, request, cancellation);
            result.DeploySeconds = Math.Round(clock.Elapsed.TotalSeconds, 3);
            progress(string.Create(CultureInfo.InvariantCulture, $"{policy.Name}: {schedule.Arrivals.Count} requests over {schedule.DurationSeconds:F1} s"));
            double next = 0;
            using var besideStop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            var beside = alongside is null ? Task.CompletedTask : Task.Run(() => alongside(result.ModelName, besideStop.Token), CancellationToken.None);
            try
            {
                await new Replayer(cluster.Client, TimeProvider.System, setup.Vocab, seed).Run(result.ModelName, schedule, setup.WallSlo, Replayer.DefaultDrain, result,
                    (counters, sample, at) =>
                    {
                        if (at < next) return;
                        next = at + ReplayProgressView.PlainEvery.TotalSeconds;
                        progress($"{policy.Name}: {ReplayProgressView.Describe(at, schedule.DurationSeconds, schedule.Arrivals.Count, counters, sample)}");
                    }, cancellation);
            }
            finally
            {
                await besideStop.CancelAsync();
                try
                {
                    await beside;
                }
                catch (OperationCanceledException) when (besideStop.IsCancellationRequested)
                {
                }
            }
            var f = result.Figures!;
            progress(string.Create(CultureInfo.InvariantCulture,
                $"{policy.Name}: TTFT p50 {f.TtftMs?.P50:F1} p99 {f.TtftMs?.P99:F1} ms, TBT p99 {f.TbtMs?.P99:F1} ms, SLO attainment {f.SloAttainment:P1}, " +
                $"{f.GpuSeconds:F1} GPU-s (peak {f.PeakGpus}), failed {f.Failed}, lost {f.Lost}, driver lag ≤ {f.MaxStartLagMs:F1} ms, " +
                $"autoscaler decisions: {string.Join(", ", result.Decisions.GroupBy(d => d.Action).Select(g => $"{g.Key} {g.Count()}").DefaultIfEmpty("none"))}"));
            if (result.Loads.Count > 0)
                progress($"{policy.Name}: loads: {string.Join("; ", result.Loads.Select(Describe))}");
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

    // One load for the progress display: where, from where, how long, when it served (seconds into the replay), and what it
    // served live while loading.
    private static string Describe(ReplayLoad load) => string.Create(CultureInfo.InvariantCulture,
        $"{load.Gpu} {load.LoadSeconds:F2} s from {load.LoadedFrom ?? "?"}, seen at {load.FirstSeenS:F1} s, serving at {(load.ServingAtS is { } at ? $"{at:F1} s" : "never")}{(load.LiveServed is { } live ? $" (live while loading: {live})" : "")}");
}
