using System.Globalization;
using BlitzScale.Cli.Replay;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// <c>blitz bench chaos</c>: on the testbed, timed backend, one model under the blitz policy with the autoscaler on replays
/// a bursty trace window twice — with no fault (the reference), then with the seeded faults (a silo killed and started again,
/// a source killed mid-load, a link degraded) — and the faulty run is compared with the reference request by request.
/// </summary>
internal static class ChaosBenchmark
{
    public const string ReferenceModel = "chaos-reference";
    public const string FaultyModel = "chaos-faults";

    public static async Task<ChaosReport> Run(ChaosOptions options, Action<string> progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var bench = options.Bench;
        var setup = ReplayBenchSetup.Resolve(bench, "bench chaos", progress);
        var planned = ChaosPlan.Of(options.FaultSeed, setup.Plan.Schedule.DurationSeconds, options.Faults, options.Bounds);
        var policy = ReplayBenchPolicy.Parse(["blitz"], setup.Needs)[0];
        var gpus = LiveBenchmark.Gpus(bench.Hosts, bench.GpusPerHost);
        // A source kill scales up onto a GPU without the model: the autoscaler stops one short of every GPU, so one stays free.
        int? ceiling = options.Faults.Contains(ChaosFaultKind.SourceKill) ? gpus.Count - 1 : null;
        var report = new ChaosReport
        {
            FaultSeed = options.FaultSeed, Planned = planned,
            Deployment = policy.Describe(ceiling) + (ceiling is null ? "" : " (one GPU kept free for the source kill's scale-up)") +
                "; the paper's thresholds, its durations the real cluster's × D, as in bench replay",
        };
        report.Describe(bench, setup);
        progress("faults: " + string.Join("; ", planned.Select(f => string.Create(CultureInfo.InvariantCulture,
            $"{f.Order}. {f.Name} at {f.AtSeconds:0.#} s for {f.HoldSeconds:0.#} s"))));

        var testbed = MulticastTestbed.Create(bench.TestbedScript, bench.StateDirectory, bench.Hosts, bench.RedisPort, line => progress($"  {line}"));
        try
        {
            progress($"testbed starting: {bench.Hosts} hosts × {bench.GpusPerHost} GPUs at {bench.LinkMbit} Mbit/s, storage {bench.StorageMBps:F1} MB/s, silo options: {setup.SiloArgs}");
            await testbed.Up(bench.LinkMbit, setup.GpuMemoryGiB, bench.StorageMBps, cancellation, bench.GpusPerHost, setup.SiloArgs);
            await using var cluster = await MulticastCluster.Connect(testbed.RedisEndpoint, MulticastTestbed.ClusterId, cancellation);
            await cluster.WaitForHosts(bench.Hosts, cancellation);
            await ReplayBenchmark.WarmUp(cluster, setup.Directory, gpus, setup.KvBlocks, setup.Vocab, progress, cancellation);

            var reference = new ChaosInjector(cluster, testbed, planned, apply: false, bench.LinkMbit, options.RateDivisor, gpus, options.SourceWithModelGrain, line => progress($"reference: {line}"));
            progress("reference run: no fault");
            using (var handBacks = new HandBackCounts())
            {
                report.Reference = await ReplayBenchmark.RunPolicy(cluster, policy, ReferenceModel, setup, gpus, bench.Seed, reference.Run, progress, cancellation, ceiling);
                report.HandBacks["reference"] = new ChaosHandBacks(handBacks.SecondTries, handBacks.PastLimit);
            }
            report.ReferenceLoads = reference.Loads;

            var faulty = new ChaosInjector(cluster, testbed, planned, apply: true, bench.LinkMbit, options.RateDivisor, gpus, options.SourceWithModelGrain, line => progress($"faults: {line}"));
            progress("faulty run: the same schedule with the faults");
            using (var handBacks = new HandBackCounts())
            {
                report.Faulty = await ReplayBenchmark.RunPolicy(cluster, policy, FaultyModel, setup, gpus, bench.Seed, faulty.Run, progress, cancellation, ceiling);
                report.HandBacks["faulty"] = new ChaosHandBacks(handBacks.SecondTries, handBacks.PastLimit);
            }
            report.Faults = faulty.Applied;
            report.FaultyLoads = faulty.Loads;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            report.Error = e.Message;
            progress($"stopped: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            await testbed.Finish(bench.KeepTestbed, progress);
        }
        report.Finish();
        return report;
    }
}
