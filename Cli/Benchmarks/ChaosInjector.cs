using System.Diagnostics;
using BlitzScale.Cli.Commands;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// Plays a fault schedule beside a replay. In the faulty run every fault is applied; in the reference run only the
/// source-kill's scale-up is made (at the same moment, from one peer GPU, without the kill), so each load that loses its source
/// has a like load without the fault to be compared with. Whatever a fault breaks, it is undone before this returns (a killed
/// silo started again, a link restored), even when the replay ends first.
/// </summary>
internal sealed class ChaosInjector(MulticastCluster cluster, MulticastTestbed testbed, IReadOnlyList<ChaosFault> faults, bool apply, int linkMbit,
    int rateDivisor, IReadOnlyList<string> gpus, bool sourceWithModelGrain, Action<string> progress)
{
    /// <summary>How often a source-kill's new instance is read while it loads.</summary>
    public static readonly TimeSpan LoadPoll = TimeSpan.FromMilliseconds(50);
    /// <summary>A scale-up that does not hold every parameter by then is recorded as unfinished.</summary>
    public static readonly TimeSpan LoadTimeout = TimeSpan.FromMinutes(3);

    // How long one status call may take before it counts as failed (a live silo answers in milliseconds).
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(5);

    private readonly Stopwatch _clock = new();
    // The source-kill's polls of the new shard and of the model, each kept in flight across polls (Instance).
    private (string? Shard, PendingCall<InstanceStatus> Call) _shardCall = (null, new());
    private readonly PendingCall<ModelStatus> _modelCall = new();
    private readonly List<Task> _restarts = [];

    public List<ChaosApplied> Applied { get; } = [];
    public List<ChaosLoad> Loads { get; } = [];

    private double Now => Math.Round(_clock.Elapsed.TotalSeconds, 3);

    /// <summary>Runs every fault at its time, in order; <paramref name="cancellation"/> ends it (the replay is over).</summary>
    public async Task Run(string model, CancellationToken cancellation)
    {
        _clock.Start();
        try
        {
            foreach (var fault in faults)
            {
                if (!apply && fault.Kind != ChaosFaultKind.SourceKill) continue;
                double wait = fault.AtSeconds - _clock.Elapsed.TotalSeconds;
                if (wait > 0) await Task.Delay(TimeSpan.FromSeconds(wait), cancellation);
                var applied = new ChaosApplied { Order = fault.Order, Fault = fault.Name, PlannedAtS = fault.AtSeconds, HoldS = fault.HoldSeconds };
                if (apply) Applied.Add(applied);
                try
                {
                    await (fault.Kind switch
                    {
                        ChaosFaultKind.SiloKill => SiloKill(model, fault, applied, cancellation),
                        ChaosFaultKind.SourceKill => SourceKill(model, fault, applied, cancellation),
                        _ => LinkDegrade(model, fault, applied, cancellation),
                    });
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
                {
                    applied.Error ??= $"{e.GetType().Name}: {e.Message}";
                    progress($"fault {fault.Order} ({fault.Name}): {applied.Error}");
                }
            }
        }
        finally
        {
            await Task.WhenAll(_restarts);
        }
    }

    private async Task SiloKill(string model, ChaosFault fault, ChaosApplied applied, CancellationToken cancellation)
    {
        var status = await Status(model, cancellation);
        var (host, hit) = PickServingHost(status, fault.Pick);
        applied.Host = host;
        applied.Hit = hit;
        await Kill(host, fault, applied, cancellation);
        await Task.WhenAll(_restarts);
    }

    private async Task LinkDegrade(string model, ChaosFault fault, ChaosApplied applied, CancellationToken cancellation)
    {
        var status = await Status(model, cancellation);
        var (host, hit) = PickServingHost(status, fault.Pick);
        int degraded = Math.Max(1, linkMbit / rateDivisor);
        (applied.Host, applied.Hit, applied.DegradedMbit, applied.RestoredMbit) = (host, hit, degraded, linkMbit);
        progress($"fault {fault.Order}: {host}'s link to {degraded} Mbit/s for {fault.HoldSeconds:0.#} s ({hit})");
        await testbed.Shape(host, degraded, CancellationToken.None);
        applied.AtS = Now;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(fault.HoldSeconds), cancellation);
        }
        finally
        {
            await testbed.Shape(host, null, CancellationToken.None);
            applied.RestoredAtS = Now;
        }
    }

    /// <summary>
    /// Asks for one more instance on a GPU without the model, fed from one serving GPU on another host; in the faulty run the
    /// source's silo is killed once the chosen share of layers landed (started again after the hold). The load is timed from the
    /// scale request to every parameter landed, following the instance through a replan.
    /// </summary>
    private static readonly TimeSpan SourceWait = TimeSpan.FromSeconds(15);
    private const int MaxAsks = 5;

    // The host whose silo holds the model's grain now, or null when that cannot be told.
    private async Task<string?> ModelGrainHost(string model)
    {
        try
        {
            var silo = await cluster.Grains.GetGrain<Orleans.Runtime.IManagementGrain>(0).GetActivationAddress(cluster.Model(model));
            if (silo is null) return null;
            var hosts = await cluster.Grains.GetGrain<ITopologyGrain>(GrainKeys.Cluster).GetHosts();
            return hosts.FirstOrDefault(h => h.SiloAddress == silo.ToString())?.Host;
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            return null;
        }
    }

    // As the model grain counts the instances a model runs (Warm, Draining, Failed and Inactive ones are not).
    private static int Active(ModelStatus status) =>
        status.Instances.Count(i => LoadingStates.IsLoading(i.State) || i.State is InstanceState.Serving or InstanceState.LiveOld);

    private static List<string> Sources(ModelStatus status) =>
        [.. status.Instances.Where(i => i.State is InstanceState.Serving or InstanceState.LiveOld or InstanceState.Draining or InstanceState.Warm
            && i.LoadedLayers == i.TotalLayers && GpuKey.TryParse(i.Gpu, out _)).Select(i => i.Gpu).Order(StringComparer.Ordinal)];

    private async Task SourceKill(string model, ChaosFault fault, ChaosApplied applied, CancellationToken cancellation)
    {
        // A source is a GPU that holds the whole model (as the model grain's load sources: serving, LiveOld, draining or
        // warm); between two autoscaler moves there may be none for a moment, so the fault waits a bounded time for one.
        var status = await Status(model, cancellation);
        var sourceWait = Stopwatch.StartNew();
        while (Sources(status).Count == 0 && sourceWait.Elapsed < SourceWait)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellation);
            status = await Status(model, cancellation);
        }
        var free = await FreeGpus(model, status);
        if (free.Count == 0) throw new InvalidOperationException($"no GPU without an instance of {model} to scale onto");
        // The pick's rotation of the free GPUs: the first is the pick's; another is tried if the model grain finds it taken.
        var targets = Enumerable.Range(0, free.Count).Select(k => free[(fault.Pick + k) % free.Count]).ToList();
        var serving = Sources(status);
        int active = Active(status);
        var known = status.Instances.Select(i => i.Instance).ToHashSet();
        int layers = status.Instances.Select(i => i.TotalLayers).DefaultIfEmpty(1).Max();
        var clock = Stopwatch.StartNew();
        string? target = null, source = null;
        string? grainHost = sourceWithModelGrain ? await ModelGrainHost(model) : null;
        foreach (string candidate in targets)
        {
            var sources = serving.Where(g => GpuKey.Parse(g).Host != GpuKey.Parse(candidate).Host).ToList();
            if (sources.Count == 0) continue;
            var withGrain = sources.Where(g => GpuKey.Parse(g).Host == grainHost).ToList();
            string from = withGrain.Count > 0 ? withGrain[0] : sources[fault.Pick / free.Count % sources.Count];
            if (sourceWithModelGrain)
                progress($"fault {fault.Order}: the model grain is on {grainHost ?? "an unknown host"}; source {from}{(withGrain.Count > 0 ? ", on that host" : ": no source serves on that host")}");
            try
            {
                // The count is absolute: when the autoscaler moves between the read and the request, active + 1 may add nothing
                // here (it may even match the count the grain has now): then the count is read again and asked once more.
                for (int ask = 1; target is null; ask++)
                {
                    clock.Restart();
                    var scaled = await cluster.Model(model).Scale(new ScaleRequest { Instances = active + 1, Gpus = [candidate], Sources = [from], ReviveWarm = false });
                    if (scaled.Instances.Any(i => i.Gpu == candidate && !known.Contains(i.Instance))) (target, source) = (candidate, from);
                    else if (ask == MaxAsks) throw new InvalidOperationException($"{MaxAsks} scale requests onto {candidate} added no instance there");
                    else
                    {
                        progress($"fault {fault.Order}: scale to {active + 1} added no instance on {candidate} (the autoscaler moved); asking again");
                        active = Active(await Status(model, cancellation));
                    }
                }
                break;
            }
            catch (ArgumentException e)
            {
                // The GPU was taken after all, or the autoscaler changed the count between the read and the request: the next GPU,
                // one new instance on top of the count now.
                progress($"fault {fault.Order}: scale-up onto {candidate} refused ({e.Message}); trying the next GPU");
                active = Active(await Status(model, cancellation));
            }
        }
        if (target is null || source is null)
            throw new InvalidOperationException($"no scale-up of {model} was accepted onto {string.Join(", ", targets)} from a serving GPU on another host ({string.Join(", ", serving)})");
        string sourceHost = GpuKey.Parse(source).Host;
        var load = new ChaosLoad { Order = fault.Order, Kind = "scale-up from one peer GPU", Gpu = target, Source = source, ModelGrainHost = grainHost };
        Loads.Add(load);
        applied.Host = sourceHost;
        progress($"fault {fault.Order}: scale-up onto {target} from {source}{(apply ? $", whose silo {sourceHost} dies after {fault.KillAfterLayers(layers)} layer(s)" : " (reference: no kill)")}");
        var deadline = clock.Elapsed + LoadTimeout;
        bool killed = false;
        InstanceStatus? last = null;
        // The load is followed to its end even when the replay ends first (bounded by LoadTimeout): its time is the measurement.
        while (clock.Elapsed < deadline)
        {
            var now = await Instance(model, target, known, load.Shard);
            if (now is not null)
            {
                last = now;
                load.Shard = now.Shard;
                if (now.State == InstanceState.Failed) load.SeenFailed = true;
                if (now.LoadedLayers >= now.TotalLayers && now.State is InstanceState.Serving or InstanceState.LiveNew or InstanceState.Draining or InstanceState.Warm)
                {
                    // The scale request on this machine's clock: the stopwatch started with it.
                    var seen = clock.Elapsed;
                    load.SeenSeconds = Math.Round(seen.TotalSeconds, 3);
                    load.Seconds = ChaosLoad.Measure(DateTimeOffset.UtcNow - seen, now.LoadedAt, load.SeenSeconds.Value);
                    break;
                }
                if (apply && !killed && now.State is InstanceState.Loading or InstanceState.LiveNew && now.LoadedLayers >= fault.KillAfterLayers(now.TotalLayers))
                {
                    killed = true;
                    load.SourceKilled = true;
                    load.LayersAtKill = now.LoadedLayers;
                    applied.Hit = $"the load of {now.Shard} on {target} from {source}, {now.LoadedLayers} of {now.TotalLayers} layers landed";
                    await Kill(sourceHost, fault, applied, cancellation);
                }
            }
            await Task.Delay(LoadPoll, CancellationToken.None);
        }
        if (last is not null) (load.LoadedFrom, load.FetchedBytes) = (last.LoadedFrom, last.FetchedBytes);
        if (load.Seconds is null) load.Error = $"not every parameter landed within {LoadTimeout.TotalSeconds:F0} s (last seen: {last?.State} with {last?.LoadedLayers} of {last?.TotalLayers} layers{(last?.Error is { } e ? $", {e}" : "")})";
        if (apply && !killed) applied.Error ??= $"the load finished before {fault.KillAfterLayers(last?.TotalLayers ?? 1)} layer(s) were seen landed: no source was killed";
        progress($"fault {fault.Order}: the scale-up onto {target} {(load.Seconds is { } s ? $"held every parameter after {s:0.###} s (seen after {load.SeenSeconds:0.###} s)" : load.Error)}{(load.SeenFailed ? " (failed once: replanned)" : "")}");
        await Task.WhenAll(_restarts);
    }

    /// <summary>Kills a host's silo now and starts it again after the hold, in the background (awaited before the next fault).</summary>
    private async Task Kill(string host, ChaosFault fault, ChaosApplied applied, CancellationToken cancellation)
    {
        progress($"fault {fault.Order} ({fault.Name}): SIGKILL of {host}'s silo ({applied.Hit}); back in {fault.HoldSeconds:0.#} s");
        await testbed.Kill(host, CancellationToken.None);
        applied.AtS = Now;
        _restarts.Add(Task.Run(async () =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(fault.HoldSeconds), cancellation);
            }
            catch (OperationCanceledException)
            {
                // The replay is over: the silo still comes back, so the testbed is whole for what follows.
            }
            await testbed.Start(host, CancellationToken.None);
            applied.RestoredAtS = Now;
            progress($"fault {fault.Order}: {host}'s silo is running again");
        }, CancellationToken.None));
    }

    /// <summary>The host of a serving instance (the pick among them, in GPU order) and what it holds.</summary>
    private static (string Host, string Hit) PickServingHost(ModelStatus status, int pick)
    {
        // An instance whose shard did not answer may come without its GPU: it is left out.
        string? HostOf(InstanceStatus i) => GpuKey.TryParse(i.Gpu, out var gpu) ? gpu.Host : null;
        var serving = status.Instances.Where(i => i.State is InstanceState.Serving or InstanceState.LiveOld && HostOf(i) is not null)
            .OrderBy(i => i.Gpu, StringComparer.Ordinal).ToList();
        if (serving.Count == 0) throw new InvalidOperationException($"{status.Model} has no serving instance to hit");
        string host = HostOf(serving[pick % serving.Count])!;
        var there = status.Instances.Where(i => HostOf(i) == host && i.State != InstanceState.Inactive).Select(i => $"{i.Shard} ({i.State})");
        return (host, $"{string.Join(", ", there)} on {host}");
    }

    /// <summary>GPUs with neither an instance of the model in its status nor a resident of it (its GPU grain's word), in order.</summary>
    private async Task<IReadOnlyList<string>> FreeGpus(string model, ModelStatus status)
    {
        var free = new List<string>();
        foreach (string gpu in gpus)
        {
            if (status.Instances.Any(i => i.Gpu == gpu && i.State != InstanceState.Inactive)) continue;
            try
            {
                var residents = await cluster.Grains.GetGrain<IGpuGrain>(gpu).GetStatus().WaitAsync(TimeSpan.FromSeconds(5));
                if (residents.Residents.All(r => r.Model != model)) free.Add(gpu);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Its silo does not answer (killed, starting): not a target.
            }
        }
        return free;
    }

    /// <summary>The model's status, retried for a while: the model grain's silo may be the one that just died.</summary>
    private async Task<ModelStatus> Status(string model, CancellationToken cancellation)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await cluster.Model(model).GetStatus();
            }
            catch (Exception e) when (e is not OperationCanceledException && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellation);
            }
        }
    }

    /// <summary>
    /// The new instance on <paramref name="gpu"/>: its shard read directly (the model's status asks every shard, and fails while
    /// a killed silo is not yet declared dead); when that shard is gone, the model's newest instance on that GPU. Each call is
    /// waited for at most one poll and kept in flight for the next: a call to a dead silo's grain is answered only by its
    /// timeout, and a load that ended meanwhile was seen that much later (4.7 s at 6376ffa, the model grain dead with the source).
    /// </summary>
    private async Task<InstanceStatus?> Instance(string model, string gpu, IReadOnlySet<int> known, string? shard)
    {
        InstanceStatus? own = null;
        if (shard is not null)
        {
            if (_shardCall.Shard != shard) _shardCall = (shard, new PendingCall<InstanceStatus>());
            // Null when not answered within the poll or not reachable now: the model's view below, or the next poll.
            own = (await _shardCall.Call.Poll(() => cluster.Shard(shard, gpu).GetStatus().WaitAsync(StatusTimeout), LoadPoll))?.Value;
        }
        if (own is { State: not (InstanceState.Inactive or InstanceState.Failed) }) return own;
        // Failed or gone: the model grain may have replaced it on the same GPU (a live pair's new half is loaded anew, whole).
        if ((await _modelCall.Poll(() => cluster.Model(model).GetStatus().WaitAsync(StatusTimeout), LoadPoll))?.Value is not { } status) return own;
        var newest = status.Instances.Where(i => i.Gpu == gpu && !known.Contains(i.Instance)).MaxBy(i => i.Instance);
        return newest is not null && newest.Shard != shard ? newest : own ?? newest;
    }
}
