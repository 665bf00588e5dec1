using System.Diagnostics;
using System.Globalization;
using BlitzScale.Cli.Commands;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Compute.Timed;
using BlitzScale.Native.Models;
using BlitzScale.Scaling.Live;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// <c>blitz bench live</c>: on a testbed of emulated hosts, in one run, each load policy in turn serves the same seeded
/// open-loop schedule — a steady phase below one instance's capacity, then a burst above it — and at the burst's start
/// scales from 1 to 1 + N instances. Per policy: the burst's TTFT, how soon a new instance gives a first token, and how long
/// the new instances take to be fully loaded; across policies, blitz's burst p99 TTFT over each baseline's.
/// </summary>
internal static class LiveBenchmark
{
    private const string WarmModel = "live-warmup";
    // A new instance's Serving state is polled this finely: far below the seconds a load takes.
    private static readonly TimeSpan ServingPoll = TimeSpan.FromMilliseconds(20);
    // Requests still running this long after the last arrival are cancelled and counted as failed.
    private static readonly TimeSpan Drain = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How each policy is kept from profiting from the one before (reported as <see cref="LiveReport.CacheIsolation"/>).
    /// </summary>
    public const string CacheIsolation =
        "each policy deploys its own model name (live-<policy>), so host-memory copies, GPU residents and keep-alive copies are keyed apart; " +
        "the previous policy's model is undeployed (GPU memory and its host copies dropped) before the next deploys; the model files are dropped " +
        "from the page cache before each deploy; so sllm's new hosts have no copy of their own and load from storage (paced to storage_MBps), " +
        "blitz and blitz-fast load from the serving GPU over the links, allcache from the copy every host made at deploy";

    public static async Task<LiveReport> Run(LiveOptions options, Action<string> progress, CancellationToken cancellation)
    {
        var policies = Validate(options);
        SplitMoves.TryParse(options.LiveMove, out var move);
        string directory = Path.GetFullPath(options.ModelDirectory);
        if (!File.Exists(Path.Combine(directory, "config.json"))) throw new ArgumentException($"--model {options.ModelDirectory}: no config.json there");
        var report = new LiveReport
        {
            Model = directory, Shape = options.Shape, LinkMbit = options.LinkMbit, StorageMBps = options.StorageMBps, Hosts = options.Hosts,
            GpusPerHost = options.GpusPerHost, NewInstances = options.NewInstances, SequencesPerInstance = options.SequencesPerInstance,
            KvBlocks = LiveRates.KvBlocks(options.SequencesPerInstance, options.PromptTokens, options.OutputTokens),
            PromptTokens = options.PromptTokens, OutputTokens = options.OutputTokens, Seed = options.Seed, SeedPerRound = options.SeedPerRound, Cores = Environment.ProcessorCount,
            SteadySeconds = options.SteadySeconds, BurstSeconds = options.BurstSeconds, CacheIsolation = CacheIsolation,
            CpusPerHost = options.CpusPerHost, NewOverNetwork = options.NewOverNetwork, LiveMove = SplitMoves.Name(move), ComplementaryLoads = options.ComplementaryLoads, MaxBatchTokens = BatchPolicy.ForBudget(options.MaxBatchTokens).MaxBatchTokens,
        };
        int contextLength, vocab;
        LlamaConfig testbedModel;
        using (var model = ModelDirectory.Open(directory))
        {
            testbedModel = model.Config;
            report.Layers = model.Config.NumLayers;
            report.LayerBytes = model.Layout.Layer(0).ByteLength;
            report.ModelBytes = model.Layout.TotalBytes;
            contextLength = model.Config.MaxPositionEmbeddings;
            vocab = model.Config.VocabSize;
            // As bench replay sizes it: with 64 seats of code-shaped requests the 2 GiB default refused the warm-up's deploy.
            report.GpuMemoryGiB = MulticastTestbed.GpuMemoryFor(LiveRates.InstanceBytes(model.Config, report.ModelBytes, report.KvBlocks));
        }
        report.LinkLoadSeconds = Math.Round(report.ModelBytes * 8.0 / (options.LinkMbit * 1e6), 3);
        if (options.PromptTokens + options.OutputTokens > contextLength)
            throw new ArgumentException($"--prompt-tokens + --output-tokens = {options.PromptTokens + options.OutputTokens} exceeds the model's context of {contextLength}");

        double? profileRps = null;
        string siloArgs = $"--backend {options.Backend}";
        if (move != SplitMove.Never) siloArgs += $" --live-move {SplitMoves.Name(move)}";
        if (!options.ComplementaryLoads) siloArgs += " --complementary-loads false";
        report.Backend = options.Backend;
        if (options.Backend == "timed")
        {
            var timed = TimedSetup.Resolve(options.CostProfile, options.CostModel, options.TimeDilation, options.RealLinkGbps, report.LayerBytes, options.LinkMbit,
                $"--backend timed needs --cost-profile FILE (e.g. {LiveOptions.DefaultCostProfile})", testbedModel, options.ActivationShare);
            var profile = timed.Profile;
            double d = timed.Dilation;
            report.TimeDilationSource = timed.DilationSource;
            report.HostToDeviceMBps = timed.HostToDeviceMBps;
            report.HostToDeviceSource = timed.HostToDeviceSource;
            report.ActivationShare = timed.ActivationShare;
            report.ActivationShareSource = timed.ActivationSource;
            report.Emulated = true;
            report.CostProfile = profile.Path;
            report.CostModel = profile.Model;
            report.TimeDilation = d;
            report.Backend = timed.Backend;
            siloArgs += " " + timed.SiloArgs;
            profileRps = Math.Round(LiveRates.ProfileRps(profile, d, report.Layers, contextLength, options.SequencesPerInstance,
                options.PromptTokens, options.OutputTokens, options.MaxBatchTokens), 2);
            progress($"{report.Backend}; {report.TimeDilationSource}");
            if (timed.HostToDeviceSource is { } pcie) progress($"host memory to GPU: {pcie}");
            progress($"live pairs' activations: {timed.ActivationSource}");
            progress($"profile capacity of one instance ({options.SequencesPerInstance} at once): {profileRps:F2} requests/s");
        }

        var testbed = MulticastTestbed.Create(options.TestbedScript, options.StateDirectory, options.Hosts, options.RedisPort, line => progress($"  {line}"));
        try
        {
            progress($"testbed starting: {options.Hosts} hosts × {options.GpusPerHost} GPUs at {options.LinkMbit} Mbit/s, storage {options.StorageMBps:F1} MB/s, " +
                $"{(options.CpusPerHost > 0 ? $"{options.CpusPerHost} core(s) of this machine's {report.Cores} per host" : $"every host on all {report.Cores} cores")}, silo options: {siloArgs}");
            await testbed.Up(options.LinkMbit, report.GpuMemoryGiB, options.StorageMBps, cancellation, options.GpusPerHost, siloArgs,
                options.CpusPerHost);
            await using var cluster = await MulticastCluster.Connect(testbed.RedisEndpoint, MulticastTestbed.ClusterId, cancellation);
            await cluster.WaitForHosts(options.Hosts, cancellation);
            var runner = new LiveRunner(cluster, options, directory, report, vocab, progress, cancellation);

            double measured = Math.Round(await runner.WarmUpAndMeasure(), 2);
            double used = profileRps ?? measured;
            report.Capacity = new LiveCapacity(profileRps, measured, used, profileRps is null ? "measured" : "profile");
            report.SteadyRps = LiveRates.Steady(options.SteadyRps, used);
            report.BurstRps = LiveRates.Burst(options.BurstRps, used);
            report.BurstOverCapacity = used > 0 ? Math.Round(report.BurstRps / used, 3) : null;
            progress(string.Create(CultureInfo.InvariantCulture,
                $"capacity of one instance: measured {measured:F2}, {(profileRps is { } p ? $"profile {p:F2}" : "no profile")} requests/s; " +
                $"steady {report.SteadyRps:F2} requests/s for {options.SteadySeconds:F1} s, burst {report.BurstRps:F2} requests/s for {options.BurstSeconds:F1} s " +
                $"({report.BurstOverCapacity:F2} × capacity)"));
            if (report.BurstOverCapacity < LiveRates.BurstMultiple)
                progress($"warning: the burst is below {LiveRates.BurstMultiple} × one instance's capacity");

            // One schedule per seed: every policy of a round plays the same arrivals.
            var schedules = new Dictionary<int, LiveSchedule>();
            LiveSchedule Schedule(int round)
            {
                int seed = options.RoundSeed(round);
                if (!schedules.TryGetValue(seed, out var schedule))
                {
                    schedule = LiveSchedule.Build(report.SteadyRps, options.SteadySeconds, report.BurstRps, options.BurstSeconds, seed);
                    schedules[seed] = schedule;
                    if (options.SeedPerRound) progress($"round {round}: the schedule of seed {seed}");
                }
                return schedule;
            }
            await BenchRounds.Run(options.Rounds, policies, LoadPolicyNames.Name, report.Policies, report.LaterRounds,
                (policy, round) => runner.Policy(policy, Schedule(round), options.RoundSeed(round)), progress);
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

    internal static List<LoadPolicy> Validate(LiveOptions o)
    {
        if (o.Hosts < 1) throw new ArgumentException("--hosts must be ≥ 1");
        if (o.GpusPerHost < 1) throw new ArgumentException("--gpus must be ≥ 1");
        if (o.NewInstances < 1 || o.NewInstances > o.Hosts * o.GpusPerHost - 1)
            throw new ArgumentException($"--new-instances must be in [1, hosts × gpus - 1 = {o.Hosts * o.GpusPerHost - 1}], found {o.NewInstances}");
        if (o.NewOverNetwork && (o.Hosts - 2) * o.GpusPerHost < o.NewInstances)
        {
            throw new ArgumentException(
                $"--new-over-network: {o.NewInstances} new instance(s) need (hosts − 2) × gpus ≥ {o.NewInstances} (the busy instance's host and the host copy's are left out); found ({o.Hosts} − 2) × {o.GpusPerHost}");
        }
        if (o.Backend is not ("timed" or "cpu")) throw new ArgumentException($"--backend: expected timed or cpu, found \"{o.Backend}\"");
        if (!SplitMoves.TryParse(o.LiveMove, out _)) throw new ArgumentException(SplitMoves.Refusal("--live-move", o.LiveMove));
        if (o.LinkMbit < 1) throw new ArgumentException("--link-mbit must be ≥ 1");
        if (!(o.StorageMBps > 0)) throw new ArgumentException("--storage-mbps must be > 0");
        if (!(o.RealLinkGbps > 0)) throw new ArgumentException("--real-link-gbps must be > 0");
        if (o.SequencesPerInstance < 1) throw new ArgumentException("--sequences-per-instance must be ≥ 1");
        if (o.PromptTokens < 2 || o.OutputTokens < 1) throw new ArgumentException("--prompt-tokens must be ≥ 2 and --output-tokens ≥ 1");
        if (!(o.BurstSeconds > 0)) throw new ArgumentException("--burst-seconds must be > 0");
        if (o.Rounds < 1) throw new ArgumentException($"--rounds must be ≥ 1, found {o.Rounds}");
        if (o.CpusPerHost < 0 || o.CpusPerHost > Environment.ProcessorCount)
            throw new ArgumentException($"--cpus-per-host must be in [0, this machine's {Environment.ProcessorCount} cores], found {o.CpusPerHost}");
        if (o.MaxBatchTokens is { } budget && budget < o.SequencesPerInstance)
            throw new ArgumentException($"--max-batch-tokens must be ≥ --sequences-per-instance ({o.SequencesPerInstance}), so that every seated request decodes each step; found {budget}");
        var policies = o.Policies.Select(name => LoadPolicyNames.Parse(name, "--policies")).ToList();
        if (policies.Count == 0) throw new ArgumentException("--policies: name at least one policy");
        if (policies.Distinct().Count() != policies.Count) throw new ArgumentException("--policies: each policy at most once");
        return policies;
    }

    /// <summary>The GPU keys of the testbed: the first one serves from the start, the rest in order are the new instances' (other hosts first).</summary>
    public static IReadOnlyList<string> Gpus(int hosts, int gpusPerHost) =>
        [.. Enumerable.Range(0, gpusPerHost).SelectMany(g => Enumerable.Range(1, hosts).Select(h => new GpuKey(MulticastTestbed.HostName(h), g).ToString()))];

    /// <summary>The warm-up, the capacity measurement and the policies' runs, sharing the cluster and the report.</summary>
    private sealed class LiveRunner(MulticastCluster cluster, LiveOptions options, string directory, LiveReport report, int vocab,
        Action<string> progress, CancellationToken cancellation)
    {
        private readonly IReadOnlyList<string> _gpus = Gpus(options.Hosts, options.GpusPerHost);
        private readonly string[] _hosts = [.. Enumerable.Range(1, options.Hosts).Select(MulticastTestbed.HostName)];
        private readonly ServeWorkload _prompts = new(1, 1, options.PromptTokens, options.OutputTokens, vocab, options.Seed);

        private string First => _gpus[0];
        // Where a run's model scales to at the burst, given its host copies (LiveTargets).
        private IReadOnlyList<string> Targets(IReadOnlyDictionary<string, long>? copies) => LiveTargets.Choose(_gpus, options.NewInstances, copies, options.NewOverNetwork);
        private int S => options.SequencesPerInstance;

        /// <summary>
        /// Every code path once (deploy, generate, a scale to every new GPU under load, live pairs and their split steps
        /// included, undeploy) on a model of its own, so that no policy pays for the JIT of a path the warm-up did not run; and
        /// one instance's capacity, measured with a closed loop of twice its batch.
        /// </summary>
        /// <remarks>
        /// The scale runs under a closed loop of twice one instance's batch, so that the first instance is overloaded and the
        /// new ones pair with it live (blitz). Scaled without load (before 4 December), no pair formed, and the first split step of
        /// blitz's measured run was the silos' first: the process of its new instance compiled methods for 517 ms between the
        /// pair forming and that step, which took 397 ms against about 45 ms for the next ones (the pair's log lines).
        /// </remarks>
        public async Task<double> WarmUpAndMeasure()
        {
            progress($"warm-up: deploy {WarmModel} on {First}");
            await Deploy(WarmModel, LoadPolicy.Blitz);
            var generate = Closed(WarmModel);
            var workload = new ServeWorkload(10 * S, 2 * S, options.PromptTokens, options.OutputTokens, vocab, options.Seed);
            await workload.Warm(generate, S);
            progress($"capacity: {workload.Requests} requests, {workload.Concurrency} at a time, on one instance");
            var run = await workload.Run(generate);
            double rps = workload.Requests / run.Seconds;
            var warm = new LivePolicyRun { Policy = "warm-up", ModelName = WarmModel };
            warm.Targets = Targets(options.NewOverNetwork ? await cluster.HostCopies(WarmModel, _hosts, cancellation) : null);
            progress($"warm-up: scale {WarmModel} to {string.Join(", ", warm.Targets)} under a closed loop of {2 * S} requests at a time, so that new instances pair live");
            var known = (await cluster.Model(WarmModel).GetStatus()).Instances.Select(i => i.Instance).ToHashSet();
            var clock = Stopwatch.StartNew();
            Dictionary<int, double> serving;
            int completed;
            using (var load = new ClosedLoad(generate, _prompts, 2 * S, options.PromptTokens, options.OutputTokens))
            {
                serving = await ScaleAt(warm, known, 0, clock);
                completed = await load.StopAsync();
            }
            report.WarmupScaleCallSeconds = warm.ScaleReturnedS;
            report.WarmupFullLoadSeconds = Math.Round(serving.Values.Max(), 3);
            report.WarmupLivePaired = warm.SawLiveNew;
            progress(string.Create(CultureInfo.InvariantCulture,
                $"warm-up: the scale call returned after {report.WarmupScaleCallSeconds:F3} s, every new instance served after {report.WarmupFullLoadSeconds:F3} s " +
                $"({completed} requests served meanwhile; {(warm.SawLiveNew ? "a new instance served live" : "no new instance was seen serving live")})"));
            await workload.Warm(generate, 4 * (1 + options.NewInstances));
            await cluster.Undeploy(WarmModel, _gpus, cancellation);
            return rps;
        }

        /// <summary>One policy's run: deploy one instance, the schedule with a scale to 1 + N at the burst, undeploy.</summary>
        public async Task<LivePolicyRun> Policy(LoadPolicy policy, LiveSchedule schedule, int seed)
        {
            string name = LoadPolicyNames.Name(policy);
            var run = new LivePolicyRun { Policy = name, ModelName = $"live-{name}", BurstStartS = schedule.BurstStartSeconds, Seed = seed };
            bool deployed = false;
            try
            {
                await MulticastTestbed.DropFromPageCache(directory, cancellation);
                progress($"{name}: deploy {run.ModelName} on {First}");
                var clock = Stopwatch.StartNew();
                deployed = true;
                await Deploy(run.ModelName, policy);
                run.DeploySeconds = Math.Round(clock.Elapsed.TotalSeconds, 3);
                run.HostCopies = await cluster.HostCopies(run.ModelName, _hosts, cancellation);
                run.Targets = Targets(run.HostCopies);
                await new ServeWorkload(S, S, options.PromptTokens, options.OutputTokens, vocab, options.Seed).Warm(Closed(run.ModelName), S);
                var known = (await cluster.Model(run.ModelName).GetStatus()).Instances.Select(i => i.Instance).ToHashSet();

                progress($"{name}: {schedule.Arrivals.Count} requests over {schedule.EndSeconds:F1} s, scale to {1 + options.NewInstances} ({string.Join(", ", run.Targets)}) at {schedule.BurstStartSeconds:F1} s");
                clock.Restart();
                var scaling = ScaleAt(run, known, schedule.BurstStartSeconds, clock);
                var log = await LiveDriver.Play(schedule.Arrivals, (a, ct) => cluster.Client.GenerateStreamingAsync(run.ModelName, Request(a.Index), ct),
                    clock, Drain, cancellation);
                var serving = await scaling;
                run.Log = log;

                var status = await cluster.Model(run.ModelName).GetStatus();
                foreach (var i in status.Instances.Where(i => !known.Contains(i.Instance)).OrderBy(i => i.Instance))
                {
                    run.NewInstances.Add(new LiveNewInstance(i.Instance, i.Shard, i.Gpu, serving.TryGetValue(i.Instance, out double at) ? Math.Round(at, 3) : null,
                        Math.Round(i.LoadSeconds, 3), i.LoadedFrom, i.LoadedBytes, i.LiveServed));
                    if (i.LiveServed is { } live) progress($"{name}: {i.Shard} on {i.Gpu} served live while loading: {live}");
                }
                if (run.BusyDuringLoad is { Count: > 0 } busy)
                {
                    progress($"{name}: devices while the new instances loaded: " + string.Join("; ", busy.Select(b => string.Create(CultureInfo.InvariantCulture,
                        $"instance {b.Instance} ({b.Role}) in steps {b.StepShare:P0} of {b.Seconds:F2} s, on split tails {b.SplitShare:P0}"))));
                }
                var figures = LiveFigures.Of(log, run.ScaleAtS!.Value, schedule.EndSeconds, run.NewInstances);
                run.Figures = figures;
                if (figures.Failed > 0)
                    run.Error = $"{figures.Failed} of {figures.Requests} requests failed, e.g. request {log.First(r => r.Error is not null).Index}: {log.First(r => r.Error is not null).Error}";
                progress(string.Create(CultureInfo.InvariantCulture,
                    $"{name}: burst TTFT p50 {figures.BurstTtftMs?.P50:F1} ms, p99 {figures.BurstTtftMs?.P99:F1} ms " +
                    $"(of it, {figures.EarlyBurstP99TtftMs:F1} ms from requests that arrived before a new instance was whole); first token of a new instance {figures.FirstTokenS:F3} s, " +
                    $"full load {figures.FullLoadS:F3} s (share {figures.FirstTokenShare:F3}); failed {figures.Failed}; driver lag ≤ {figures.MaxStartLagMs:F1} ms"));
                if (!figures.LoadedInBurst)
                    progress($"{name}: warning: the new instances were not all serving before the burst ended; its TTFT is mostly one instance's queue (make --burst-seconds longer)");
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
            {
                run.Error = e.Message;
                progress($"{name}: stopped: {e.GetType().Name}: {e.Message}");
            }
            finally
            {
                if (deployed) await Undeploy(run);
            }
            return run;
        }

        /// <summary>At <paramref name="at"/> (the burst's start): the scale request, then the new instances' Serving times (seconds from the origin).</summary>
        private async Task<Dictionary<int, double>> ScaleAt(LivePolicyRun run, HashSet<int> known, double at, Stopwatch clock)
        {
            double wait = at - clock.Elapsed.TotalSeconds;
            if (wait > 0) await Task.Delay(TimeSpan.FromSeconds(wait), cancellation);
            var grain = cluster.Model(run.ModelName);
            run.ScaleAtS = Math.Round(clock.Elapsed.TotalSeconds, 4);
            await grain.Scale(new ScaleRequest { Instances = 1 + options.NewInstances, Gpus = run.Targets, ReviveWarm = false });
            run.ScaleReturnedS = Math.Round(clock.Elapsed.TotalSeconds, 4);
            var serving = new Dictionary<int, double>();
            var busy = new LiveBusyReads(run.ScaleAtS.Value);
            var deadline = clock.Elapsed + MulticastCluster.LoadTimeout;
            while (true)
            {
                var status = await grain.GetStatus();
                double now = clock.Elapsed.TotalSeconds;
                busy.Read(status.Instances, known, now);
                var fresh = status.Instances.Where(i => !known.Contains(i.Instance)).ToList();
                if (fresh.FirstOrDefault(i => i.State == InstanceState.Failed) is { } failed)
                    throw new InvalidOperationException($"{run.ModelName}: new instance {failed.Instance} on {failed.Gpu} failed: {failed.Error}");
                foreach (var i in fresh.Where(i => i.State is InstanceState.Serving or InstanceState.LiveOld)) serving.TryAdd(i.Instance, now);
                if (fresh.Any(i => i.State == InstanceState.LiveNew)) run.SawLiveNew = true;
                if (fresh.Count >= options.NewInstances && fresh.All(i => serving.ContainsKey(i.Instance)))
                {
                    run.BusyDuringLoad = busy.Figures();
                    return serving;
                }
                if (clock.Elapsed > deadline)
                    throw new TimeoutException($"{run.ModelName}: the new instances did not all serve within {MulticastCluster.LoadTimeout.TotalSeconds:F0} s of the scale request");
                await Task.Delay(ServingPoll, cancellation);
            }
        }

        private async Task Undeploy(LivePolicyRun run)
        {
            try
            {
                progress($"{run.Policy}: undeploy {run.ModelName}");
                await cluster.Undeploy(run.ModelName, _gpus, cancellation);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
            {
                run.Error ??= $"undeploy: {e.Message}";
            }
        }

        private Task<Grains.Interfaces.Serving.ModelStatus> Deploy(string model, LoadPolicy policy) =>
            cluster.Deploy(model, new DeployRequest
            {
                ModelDirectory = directory, Instances = 1, Gpus = [First], Policy = policy, KvBlocks = report.KvBlocks, MaxBatchTokens = options.MaxBatchTokens,
                MaxQueuedRequests = ReplayBenchPolicy.BenchQueueBound,
            }, cancellation);

        private GenerateRequest Request(int index) =>
            new() { PromptIds = _prompts.Prompt(index, options.PromptTokens), MaxTokens = options.OutputTokens, StopAtEos = false };

        private Func<int[], int, Func<Task>, Task> Closed(string model) => async (prompt, maxTokens, onToken) =>
        {
            var request = new GenerateRequest { PromptIds = prompt, MaxTokens = maxTokens, StopAtEos = false };
            await foreach (var update in cluster.Client.GenerateStreamingAsync(model, request, cancellation))
            {
                if (update.TokenId >= 0) await onToken();
            }
        };
    }
}
