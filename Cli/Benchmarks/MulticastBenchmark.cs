using System.Diagnostics;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>What <c>blitz bench multicast</c> runs on.</summary>
/// <param name="ModelDirectory">The model every host loads (the hosts share this machine's file system).</param>
/// <param name="Hosts">Emulated hosts, one GPU each (≥ 2).</param>
/// <param name="LinkMbit">Each host's link rate, both directions.</param>
/// <param name="Rounds">Rounds of the chain and fan-out experiments; the best of each is reported.</param>
/// <param name="GpuMemoryGiB">Memory of each emulated GPU.</param>
/// <param name="KvBlocks">KV blocks per instance (small: the benchmark loads, it does not generate).</param>
/// <param name="RedisPort">The testbed's Redis port.</param>
/// <param name="StateDirectory">The testbed's state directory (logs, pid files).</param>
/// <param name="TestbedScript">testbed.sh, or null to find it above the binary.</param>
/// <param name="KeepTestbed">Leave the testbed up afterwards.</param>
/// <param name="LinkSeconds">How long the raw link probe sends.</param>
internal sealed record MulticastOptions(string ModelDirectory, int Hosts, int LinkMbit, int Rounds, double GpuMemoryGiB, int KvBlocks,
    int RedisPort, string StateDirectory, string? TestbedScript, bool KeepTestbed, double LinkSeconds, double StorageMBps);

/// <summary>
/// <c>blitz bench multicast</c>: on a testbed of emulated hosts joined by shaped links, in one run, side by side —
/// the raw TCP rate of one link; one peer-to-peer load over it (transfer rate and link utilisation); chains of n targets
/// fed from one GPU vs one target (chain_ratio: how little n costs); the same n targets loaded one after another from
/// the single source (fanout_ratio: what chains save); a cold storage load vs a host-memory-cache load (ServerlessLLM's
/// two paths); and the host memory each policy's copies take after scaling to every host.
/// </summary>
internal static class MulticastBenchmark
{
    private const string Model = "mc";
    private const string SllmModel = "mc-sllm";
    // Storage and host-cache loads take a fraction of a second: their request-to-serving time is polled finely.
    private static readonly TimeSpan FinePoll = TimeSpan.FromMilliseconds(10);

    public static async Task<MulticastReport> Run(MulticastOptions options, Action<string> progress, CancellationToken cancellation)
    {
        if (options.Hosts < 2) throw new ArgumentException("--hosts must be ≥ 2 (one source and at least one target)");
        if (options.LinkMbit < 1) throw new ArgumentException("--link-mbit must be ≥ 1");
        if (options.Rounds < 1) throw new ArgumentException("--rounds must be ≥ 1");
        if (!File.Exists(Path.Combine(options.ModelDirectory, "config.json")))
            throw new ArgumentException($"--model {options.ModelDirectory}: no config.json there");
        string directory = Path.GetFullPath(options.ModelDirectory);
        var report = new MulticastReport
        {
            Model = directory,
            Hosts = options.Hosts,
            LinkMbit = options.LinkMbit,
            StorageMBps = options.StorageMBps,
            Rounds = options.Rounds,
            Machine = new MachineFacts(Environment.ProcessorCount, Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (double)(1L << 30), 1),
                System.Runtime.InteropServices.RuntimeInformation.OSDescription),
        };
        var testbed = MulticastTestbed.Create(options.TestbedScript, options.StateDirectory, options.Hosts, options.RedisPort, line => progress($"  {line}"));
        try
        {
            progress($"testbed starting: {options.Hosts} hosts at {options.LinkMbit} Mbit/s (state in {options.StateDirectory})");
            await testbed.Up(options.LinkMbit, options.GpuMemoryGiB, options.StorageMBps, cancellation);

            progress($"raw link h1 → h2 ({options.LinkSeconds:F0} s of bench link)");
            report.RawLinkMBps = (await testbed.MeasureLink(1, 2, options.LinkSeconds, cancellation)).MBps;
            progress($"raw_link_MBps = {report.RawLinkMBps:F1}");

            await using var cluster = await MulticastCluster.Connect(testbed.RedisEndpoint, MulticastTestbed.ClusterId, cancellation);
            await cluster.WaitForHosts(options.Hosts, cancellation);
            var run = new Runner(cluster, testbed, options, directory, report, progress, cancellation);
            await run.PeerToPeer();
            await run.StorageAndHostCache();
            await run.HostCacheBytes();
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

    /// <summary>The experiments, sharing the cluster and the report.</summary>
    private sealed class Runner(MulticastCluster cluster, MulticastTestbed testbed, MulticastOptions options, string directory,
        MulticastReport report, Action<string> progress, CancellationToken cancellation)
    {
        private readonly string[] _hosts = [.. Enumerable.Range(1, options.Hosts).Select(MulticastTestbed.HostName)];
        private string[] Gpus => [.. _hosts.Select(h => new GpuKey(h, 0).ToString())];
        private string Source => Gpus[0];

        /// <summary>transfer, chains and fan-out: all from one Blitz instance on h1/gpu0.</summary>
        public async Task PeerToPeer()
        {
            progress($"deploy {Model} (blitz) on {Source}");
            await cluster.Deploy(Model, new DeployRequest
            {
                ModelDirectory = directory, Instances = 1, Gpus = [Source], Policy = LoadPolicy.Blitz, KvBlocks = options.KvBlocks,
            }, cancellation);

            // Every receiver's and forwarder's code path once (JIT, first touch of memory), not measured.
            progress($"warm-up: chain to all {options.Hosts - 1} targets");
            await ScaleUp(Model, new ScaleRequest { Instances = options.Hosts, Gpus = Gpus[1..], ReviveWarm = false });
            await cluster.ScaleDown(Model, 1, Gpus, cancellation);

            progress($"transfer: {Source} → {Gpus[1]}");
            var cpu = ProcessCpu.Start(testbed.Silos());
            var one = (await ScaleUp(Model, new ScaleRequest { Instances = 2, Gpus = [Gpus[1]], ReviveWarm = false })).Single();
            report.TransferCpu = cpu.Stop();
            report.ModelBytes = one.LoadedBytes;
            report.TransferMBps = Math.Round(MBps(one), 2);
            report.TransferLoadedFrom = one.LoadedFrom;
            Record("transfer", 1, 1, one);
            progress($"transfer_MBps = {report.TransferMBps:F1} ({one.LoadedBytes / 1e6:F1} MB in {one.LoadSeconds:F3} s from {one.LoadedFrom})");
            await cluster.ScaleDown(Model, 1, Gpus, cancellation);

            var cpus = new List<CpuUse>();
            for (int round = 1; round <= options.Rounds; round++)
            {
                for (int n = 1; n < options.Hosts; n++)
                {
                    progress($"chain round {round}: {Source} → {string.Join(" → ", Gpus[1..(n + 1)])}");
                    cpu = ProcessCpu.Start(testbed.Silos());
                    var loaded = await ScaleUp(Model, new ScaleRequest { Instances = 1 + n, Gpus = Gpus[1..(n + 1)], ReviveWarm = false });
                    var use = cpu.Stop();
                    cpus.Add(use);
                    report.ChainCpu[$"n={n}, round {round}"] = use;
                    foreach (var instance in loaded) Record("chain", round, n, instance);
                    double seconds = loaded.Max(i => i.LoadSeconds);
                    Best(report.ChainSeconds, n, seconds);
                    progress($"chain_seconds[{n}] = {seconds:F3} (silos {use.ProcessCores:F2} cores, machine {use.MachineBusyCores:F2})");
                    await cluster.ScaleDown(Model, 1, Gpus, cancellation);
                }
            }
            report.ChainCpuTotal = CpuUse.Combine(cpus);

            for (int round = 1; round <= options.Rounds; round++)
            {
                double sum = 0;
                for (int n = 1; n < options.Hosts; n++)
                {
                    progress($"fan-out round {round}: {Source} → {Gpus[n]} ({n} of {options.Hosts - 1}, one after another)");
                    var loaded = (await ScaleUp(Model, new ScaleRequest { Instances = 1 + n, Gpus = [Gpus[n]], Sources = [Source], ReviveWarm = false })).Single();
                    Record("fanout", round, n, loaded);
                    sum += loaded.LoadSeconds;
                    Best(report.FanoutSeconds, n, sum);
                }
                progress($"fanout_seconds[{options.Hosts - 1}] = {sum:F3}");
                await cluster.ScaleDown(Model, 1, Gpus, cancellation);
            }
            progress($"undeploy {Model}");
            await cluster.Undeploy(Model, Gpus, cancellation);
        }

        /// <summary>ServerlessLLM's two paths on one host: a cold load from the files, then a load from the host's memory cache.</summary>
        public async Task StorageAndHostCache()
        {
            string gpu = Gpus[^1];
            report.StoragePageCacheDropped = await MulticastTestbed.DropFromPageCache(directory, cancellation);
            progress($"storage: {SllmModel} (sllm) on {gpu}, cold host cache{(report.StoragePageCacheDropped == true ? ", files dropped from the page cache" : "")}");
            var clock = Stopwatch.StartNew();
            var deployed = await cluster.Deploy(SllmModel, new DeployRequest
            {
                ModelDirectory = directory, Instances = 1, Gpus = [gpu], Policy = LoadPolicy.Sllm, KvBlocks = options.KvBlocks,
            }, cancellation, FinePoll);
            report.StorageWallSeconds = Math.Round(clock.Elapsed.TotalSeconds, 3);
            var cold = deployed.Instances.Single(i => i.State == InstanceState.Serving);
            report.StorageSeconds = Math.Round(cold.LoadSeconds, 4);
            report.StorageLoadedFrom = cold.LoadedFrom;
            Record("storage", 1, 1, cold);
            var copy = (await cluster.Grains.GetGrain<IHostMemoryGrain>(new HostMemoryKey(GpuKey.Parse(gpu).Host).ToString()).GetStatus())
                .Copies.FirstOrDefault(c => c.Model == SllmModel);
            report.StorageHostCopySeconds = copy is null ? null : Math.Round(copy.LoadSeconds, 4);
            progress($"storage_seconds = {cold.LoadSeconds:F3} ({cold.LoadedFrom}; the host copy read the files in {copy?.LoadSeconds:F3} s)");

            await cluster.ScaleDown(SllmModel, 0, Gpus, cancellation);
            progress($"host cache: {SllmModel} again on {gpu}");
            clock.Restart();
            var warm = (await cluster.ScaleUp(SllmModel, new ScaleRequest { Instances = 1, Gpus = [gpu], ReviveWarm = false }, cancellation, FinePoll)).Single();
            report.HostCacheWallSeconds = Math.Round(clock.Elapsed.TotalSeconds, 3);
            report.HostCacheSeconds = Math.Round(warm.LoadSeconds, 4);
            report.HostCacheLoadedFrom = warm.LoadedFrom;
            Record("host_cache", 1, 1, warm);
            progress($"host_cache_seconds = {warm.LoadSeconds:F3} ({warm.LoadedFrom})");
            await cluster.Undeploy(SllmModel, Gpus, cancellation);
        }

        /// <summary>Per policy: deploy on h1, scale to every host, sum the model's host-memory copies.</summary>
        public async Task HostCacheBytes()
        {
            foreach (var policy in new[] { LoadPolicy.Blitz, LoadPolicy.Sllm, LoadPolicy.AllCache })
            {
                string key = policy.ToString().ToLowerInvariant(), name = $"mc-hc-{key}";
                progress($"host cache bytes: {name} ({key}) on {Source}, then scaled to {options.Hosts} hosts");
                await cluster.Deploy(name, new DeployRequest
                {
                    ModelDirectory = directory, Instances = 1, Gpus = [Source], Policy = policy, KvBlocks = options.KvBlocks,
                }, cancellation);
                foreach (var instance in await ScaleUp(name, new ScaleRequest { Instances = options.Hosts, Gpus = Gpus[1..], ReviveWarm = false }))
                    Record($"host_cache_bytes/{key}", 1, options.Hosts - 1, instance);
                var byHost = await cluster.HostCopies(name, _hosts, cancellation);
                report.HostCacheBytesByHost[key] = byHost;
                report.HostCacheBytes[key] = byHost.Values.Sum();
                progress($"host_cache_bytes[{key}] = {report.HostCacheBytes[key] / 1e6:F1} MB on {byHost.Count(kv => kv.Value > 0)} host(s)");
                await cluster.Undeploy(name, Gpus, cancellation);
            }
        }

        private Task<IReadOnlyList<InstanceStatus>> ScaleUp(string model, ScaleRequest request) => cluster.ScaleUp(model, request, cancellation);

        private void Record(string experiment, int round, int targets, InstanceStatus instance) =>
            report.Loads.Add(new LoadSample(experiment, round, targets, instance.Gpu, Math.Round(instance.LoadSeconds, 4), instance.LoadedBytes,
                Math.Round(MBps(instance), 2), instance.LoadedFrom));

        private static double MBps(InstanceStatus instance) => instance.LoadSeconds > 0 ? instance.LoadedBytes / instance.LoadSeconds / 1e6 : 0;

        private static void Best(SortedDictionary<int, double> figures, int n, double seconds) =>
            figures[n] = Math.Round(figures.TryGetValue(n, out double best) ? Math.Min(best, seconds) : seconds, 4);
    }
}
