using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Scaling.Instances;
using BlitzScale.Scaling.Live;
using BlitzScale.Scaling.Planning;
using BlitzScale.Scaling.Routing;
using BlitzScale.Grains.Telemetry;
using BlitzScale.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Streams;
using Orleans.Streams.Core;
using InstanceState = BlitzScale.Scaling.Instances.InstanceState;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// One model's control: it feeds what happens to the model (deploy and scale requests, layers landing, instances
/// failing or evicted, requests arriving and ending) to its policy objects — the instances' state machine
/// (<see cref="ModelInstances"/>, the one record of each instance's state) and the router (<see cref="RequestRouter"/>) —
/// and carries out what they decide through the shards. Tokens never pass through it: a request asks it where to go
/// (<see cref="Route"/>) and streams from that shard.
/// </summary>
/// <remarks>Reentrant: a route held for a loading instance must not block the events that end its wait.</remarks>
[Reentrant, ImplicitStreamSubscription(StreamNames.ModelEvents)]
internal sealed partial class ModelGrain : Grain, IModelGrain, IStreamSubscriptionObserver, IAsyncObserver<ModelEvent>
{
    private const int MaxReplans = 2;
    // How long a replan waits out a cluster that cannot answer (a dead silo not yet declared dead), and how often it tries.
    private static readonly TimeSpan ReplanPatience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReplanRetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly ILogger<ModelGrain> _logger;
    private readonly TimeProvider _time;
    private readonly GridMetrics _metrics;
    private readonly ModelInstances _instances;
    private readonly RequestRouter _router;
    private readonly IPersistentState<ModelRecord> _record;
    // Facts about instances that are not their state: what a load lost and how often it was planned again, what to do once drained.
    private readonly Dictionary<int, LostSources> _lost = [];
    private readonly Dictionary<int, bool> _warmAfterDrain = [];
    // Failed instances whose load is being planned again: not missing, for the count's restore.
    private readonly HashSet<int> _replanning = [];
    // Instances whose shard's silo could not be reached at their last status reading (StatusOrNull).
    private readonly HashSet<int> _unreachable = [];
    private readonly Dictionary<int, int> _refeeds = [];
    private IReadOnlyList<HostInfo>? _lastHosts;
    private ModelDeployment? _deployment;
    private string? _hostCopy;
    private int _nextInstance;
    private TaskCompletionSource _changed = NewSignal();

    public ModelGrain(ILogger<ModelGrain> logger, TimeProvider time, BlitzMetrics metrics, GpuHostOptions host,
        [PersistentState("model", GridStorage.Name)] IPersistentState<ModelRecord> record)
    {
        _complementaryLoads = host.ComplementaryLoads;
        _record = record;
        _logger = logger;
        _time = time;
        _metrics = metrics.Grid;
        _instances = new ModelInstances(time);
        _router = new RequestRouter(_instances);
    }

    private string Model => this.GetPrimaryKeyString();

    private InstanceCalls Calls => field ??= new InstanceCalls(GrainFactory);
    // Instances whose shards refused to serve live; they load to the end instead.
    private readonly HashSet<int> _liveRefused = [];
    // The route calls this activation holds, by the name their callers gave them (Holds).
    private readonly HashSet<Guid> _held = [];
    // Each loading instance's next hops in its load's chains: the instances it forwards layers to (LivePartners.Choose).
    private readonly LoadHops _hops = new();
    // The loading instances fed from inside their host by sources that hold the image: they do not pair (LocalLoads).
    private readonly LocalLoads _localLoads = new();
    // The loading instances whose layers land last first: LiveTail halves of loads in complementary orders.
    private readonly TailLoads _tailLoads = new();
    // The silo allows loads in complementary orders (GpuHostOptions.ComplementaryLoads).
    private readonly bool _complementaryLoads;
    private bool _pairingLive;

    public async Task<ModelStatus> Deploy(DeployRequest request)
    {
        DeployChecks.Check(request);
        if (_deployment is { } current)
        {
            int active = _instances.All.Count(i => i.IsActive);
            // The same deployment again (say, after its instances were lost): brought back to the count asked for.
            if (current.Directory == request.ModelDirectory && current.Policy == request.Policy)
                return active == request.Instances ? await GetStatus() : await Scale(new ScaleRequest { Instances = request.Instances, Gpus = request.Gpus });
            throw new InvalidOperationException(
                $"model \"{Model}\" is already deployed from {current.Directory} with {active} instance(s); undeploy it first, or scale it");
        }

        var hosts = await Hosts();
        if (request.Gpus is { } chosen) GpuChooser.Validate(hosts, chosen);
        // The hosts' memory is read once: the host with the most left describes the image, and the copy's host is chosen with it.
        var memory = await MemoryOf(hosts);
        string copyHost = CopyHostChooser.Choose(hosts, memory, placed: null, imageBytes: 0);
        var image = await HostMemory(copyHost).Describe(request.ModelDirectory);
        var deployment = ModelDeployment.From(request, image);
        // The instances' GPUs are chosen first, so that the one host copy (blitz) can go beside a GPU they leave free where its
        // host loads that GPU faster than the network would; else it lives where the most memory is left for copies.
        var placed = request.Gpus ?? GpuChooser.Choose(hosts, request.Instances, new HashSet<string>(StringComparer.Ordinal));
        if (deployment.Policy.Multicasts()) copyHost = CopyHostChooser.Choose(hosts, memory, placed, image.TotalBytes);

        _deployment = deployment;
        _wanted = request.Instances;
        DelayDeactivation(TimeSpan.FromDays(3650));
        try
        {
            if (deployment.Policy.Multicasts())
            {
                await HostMemory(copyHost).EnsureCopy(Model, deployment.Directory, null, deferFill: false);
                _hostCopy = copyHost;
            }
            else if (deployment.Policy == LoadPolicy.AllCache)
            {
                foreach (var host in hosts) await HostMemory(host.Host).EnsureCopy(Model, deployment.Directory, null, deferFill: false);
            }
            await ScaleUp(hosts, request.Instances, placed, sources: null, revive: false);
        }
        catch
        {
            await Undeploy();
            throw;
        }
        await Saved();
        await GrainFactory.GetGrain<IModelRegistryGrain>(GrainKeys.Cluster).Add(Model);
        StartAutoscaler(request.Autoscale, request.Instances);
        LogDeployed(_logger, Model, request.Instances, deployment.Policy, _hostCopy ?? "-");
        return await GetStatus();
    }

    public async Task<ModelStatus> Scale(ScaleRequest request)
    {
        if (_deployment is null) throw NotDeployed();
        DeployChecks.Check(request);
        var steps = new StepTimes();
        // Events may trail the shards: an instance that finished loading is a Serving one to stop, not a Loading one to drop.
        await Observe(_instances.All.Where(i => i.State == InstanceState.Loading).ToList());
        steps.Lap("observe");
        var active = _instances.All.Where(i => i.IsActive).ToList();
        if (request.Instances > active.Count)
        {
            int more = request.Instances - active.Count;
            if (request.Gpus is { } given && given.Count != more)
                throw new ArgumentException($"gpus: {given.Count} given for {more} new instance(s) ({active.Count} active, {request.Instances} wanted); give one per new instance or none");
            var hosts = await Hosts();
            if (request.Gpus is { } gpus) GpuChooser.Validate(hosts, gpus);
            if (request.Sources is { } sources) GpuChooser.Validate(hosts, sources);
            steps.Lap("hosts");
            await ScaleUp(hosts, more, request.Gpus, request.Sources, request.ReviveWarm);
            steps.Lap("scale up");
        }
        else if (request.Instances < active.Count)
        {
            // The newest instances stop first: the oldest have the warmest caches and the longest-running requests.
            foreach (var instance in active.OrderByDescending(i => i.Index).Take(active.Count - request.Instances))
                await Stop(instance, request.KeepWarm);
            await FinishDrains();
            LogScaledDown(_logger, Model, request.Instances, request.KeepWarm);
        }
        _wanted = request.Instances;
        await Saved();
        steps.Lap("save");
        var status = await GetStatus();
        steps.Lap("status");
        LogScaleCall(_logger, Model, request.Instances, steps.TotalMs, steps.ToString());
        return status;
    }

    public async Task Undeploy()
    {
        StopAutoscaler();
        await DrainAll();
        var instances = _instances.All;
        var deployment = _deployment;
        _deployment = null;
        _hostCopy = null;
        foreach (var instance in instances)
        {
            Forget(instance);
            await UnloadQuietly(instance);
        }
        Changed();
        if (deployment is not null)
        {
            // The model is gone: so are its host copies, whatever the policy kept.
            foreach (var host in await Hosts()) await DropQuietly(host.Host);
        }
        await Saved();
        await GrainFactory.GetGrain<IModelRegistryGrain>(GrainKeys.Cluster).Remove(Model);
        // Stay active: the instance counter must outlive the shards' deactivation.
    }

    public async Task<ModelStatus> GetStatus()
    {
        var deployment = _deployment ?? throw NotDeployed();
        var observed = await Observe(_instances.All);
        // A report is as old as the slowest shard's answer (up to ProbeLimit with a dead silo's): one whose instance has since
        // come to hold its whole image (a refeed completed meanwhile) is read again, not shown beside the state it reached.
        var reports = await Task.WhenAll(observed.Select(async r =>
            _instances.Find(r.Instance) is { } i && Behind(r, i) ? await StatusOrNull(i) ?? r : r));
        // A Failed instance whose shard let its image go reports nothing about the failure: the reason the grain knows is shown.
        // A shard not yet told its load reports no GPU (bench replay's report once listed a load without one): the grain's is shown.
        var instances = reports.Select(r => (Report: r, Instance: _instances.Find(r.Instance))).Where(x => x.Instance is not null)
            .Select(x => x.Report with
            {
                Gpu = x.Instance!.Gpu,
                State = InstanceStates.ToWire(x.Instance!.State),
                Error = x.Instance.State == InstanceState.Failed ? x.Report.Error ?? x.Instance.FailureReason : x.Report.Error,
            }).ToList();
        var held = await Task.WhenAll((await Hosts()).Select(async host =>
        {
            // A host that is down (not yet declared dead) must not take the model's whole status with it.
            try
            {
                var memory = await HostMemory(host.Host).GetStatus();
                return memory.Copies.Any(c => c.Model == Model) ? host.Host : null;
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                LogCopiesUnanswered(_logger, Model, host.Host, e.Message);
                return null;
            }
        }));
        var copies = held.OfType<string>().ToList();
        int queued = _waiting.Count + instances.Sum(i => i.Waiting);
        return new ModelStatus(Model, deployment.Directory, instances, queued,
            instances.Where(i => i.State is Interfaces.Serving.InstanceState.Serving or Interfaces.Serving.InstanceState.LiveOld).Sum(i => i.TokensPerSecond),
            deployment.Policy, copies, ScalingRecords, AutoscaleInEffect, deployment.DrainSeconds);
    }

    public Task<RouteDecision> Route(long estimatedTokens, long promptTokens, Guid wait = default) =>
        Held(wait, () => Route(estimatedTokens, promptTokens, ahead: false));

    public Task<bool> Holds(Guid wait) => Task.FromResult(_held.Contains(wait));

    // Runs a route call named wait, known to Holds until it is answered.
    private async Task<RouteDecision> Held(Guid wait, Func<Task<RouteDecision>> route)
    {
        if (wait == Guid.Empty) return await route();
        _held.Add(wait);
        try
        {
            return await route();
        }
        finally
        {
            _held.Remove(wait);
        }
    }

    public Task Started(long ticket)
    {
        if (_router.Started(ticket)) Dispatch();
        return Task.CompletedTask;
    }

    public async Task Release(long ticket)
    {
        _router.Release(ticket);
        Dispatch();
        await FinishDrains();
    }

    public Task HandedOver(long ticket, string shard)
    {
        if (_instances.FindByShard(shard) is { } instance && _router.Move(ticket, instance.Index)) Dispatch();
        return Task.CompletedTask;
    }

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) => handleFactory.Create<ModelEvent>().ResumeAsync(this);

    // The stream counts events for the metrics; the model grain acts on its shards' events from their reports (Report).
    public Task OnNextAsync(ModelEvent item, StreamSequenceToken? token = null)
    {
        _metrics.Event(item);
        return Task.CompletedTask;
    }

    public Task Reachable() => Task.CompletedTask;

    public async Task Report(ModelEvent item)
    {
        if (_deployment is null || _instances.FindByShard(item.Shard) is not { } instance) return;
        switch (item.Kind)
        {
            case ModelEventKind.LayerReady:
                _instances.LayersLanded(instance.Index, item.LoadedLayers);
                _instances.TailLayersLanded(instance.Index, item.LoadedTailLayers);
                await PairLive(instance);
                break;
            case ModelEventKind.Serving:
                await FinishLoad(instance);
                break;
            case ModelEventKind.Failed:
                // A load already planned again (from a status report that saw this failure first) is a newer load than the
                // one this event is about: the event is stale.
                if (_replanning.Contains(instance.Index) || item.Load > 0 && item.Load <= Refeeds(instance.Index)) break;
                Failed(instance, item.Detail ?? "failed");
                if (item.LostSource is { } lost && Replans(instance.Index) < MaxReplans) await Replan(instance, lost);
                // Not planned again: the shard kept its image for a refeed that will not come, and the count is short of it (a
                // restore that ran before this event counted it as loading). A lost source is passing, so a new load may work.
                else if (item.LostSource is not null)
                {
                    await UnloadQuietly(instance);
                    await RestoreCount();
                }
                break;
            case ModelEventKind.Refeeding:
                // The shard fetches from its fallback, not planned again in time (this activation may be new, its source's silo
                // having held the old one). A replan under way, or one that made this load, already counts it.
                if (_replanning.Contains(instance.Index) || item.Load - 1 <= Refeeds(instance.Index)) break;
                if (instance.IsLoading) Failed(instance, item.Detail ?? "its source was lost");
                _refeeds[instance.Index] = item.Load - 1;
                _instances.Reset(instance.Index);
                _instances.StartLoading(instance.Index);
                LogFellBack(_logger, instance.Shard, item.LostSource ?? "its source");
                break;
            case ModelEventKind.Evicted:
                Forget(instance);
                break;
        }
        Changed();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _metrics.RemoveModel(Model);
        StopWatchingMembership();
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    /// <summary>
    /// Adds <paramref name="count"/> instances: revives Warm (or still Draining) ones first, on the given GPUs when GPUs are
    /// given, then loads new ones on the given or chosen GPUs, fed as the policy says.
    /// </summary>
    private async Task<IReadOnlyList<InstanceLifecycle>> ScaleUp(
        IReadOnlyList<HostInfo> hosts, int count, IReadOnlyList<string>? gpus, IReadOnlyList<string>? sources, bool revive, bool excludeHostCopy = false,
        IReadOnlyList<InstanceLifecycle>? fallbackSenders = null)
    {
        var deployment = _deployment!;
        var wanted = gpus?.ToList();
        var steps = new StepTimes();
        if (revive)
        {
            var stopped = _instances.All.Where(i => i.State is InstanceState.Warm or InstanceState.Draining && (wanted is null || wanted.Contains(i.Gpu)));
            foreach (var instance in stopped.ToList())
            {
                if (count == 0) break;
                // A Draining instance never left its shard's service: only a Warm one is told to serve again.
                if (instance.State == InstanceState.Warm && !await Calls.Revive(instance))
                {
                    Forget(instance);
                    continue;
                }
                _instances.Revive(instance.Index);
                _warmAfterDrain.Remove(instance.Index);
                count--;
                wanted?.Remove(instance.Gpu);
                LogRevived(_logger, instance.Shard);
            }
            Changed();
            steps.Lap("revive");
        }
        if (count == 0) return [];

        // A Failed instance that is not being planned again serves nothing and will not: its GPU is free for a new load, which
        // replaces it there (kept, it would hold the GPU for good and stop every scale-up once the cluster is full).
        var failed = _instances.All.Where(Replaceable).ToList();
        var taken = _instances.All.Except(failed).Select(i => i.Gpu).ToHashSet(StringComparer.Ordinal);
        // Events may trail the shards: ask the ones not yet known to hold the model, so they can be sources.
        await Observe(_instances.All.Where(i => i.State == InstanceState.Loading).ToList());
        // The plan leaves out senders on hosts it does not list; the GPU choice and the host copy's decision must too.
        var senders = HostsAlive.Sending(_instances.LoadSources, hosts).Where(s => sources is null || sources.Contains(s.Gpu)).ToList();
        var targets = wanted ?? (IReadOnlyList<string>?)GpuChooser.Choose(hosts, count, taken, FastestHosts(senders, hosts))
            ?? throw new InvalidOperationException(
                $"{count} more instance(s) of \"{Model}\" need as many free GPUs; the cluster has {hosts.Sum(h => h.Gpus)} on {hosts.Count} host(s) and {taken.Count} hold this model");
        if (targets.FirstOrDefault(taken.Contains) is { } busy)
            throw new ArgumentException($"gpus: {busy} already holds an instance of \"{Model}\"");
        foreach (var replaced in failed.Where(f => targets.Contains(f.Gpu, StringComparer.Ordinal)))
        {
            LogReplacingFailed(_logger, replaced.Shard, replaced.Gpu);
            Forget(replaced);
            await UnloadQuietly(replaced);
        }

        steps.Lap("choose");

        // Instance numbers are never reused while this grain lives: a shard activation of an earlier deployment
        // may still be deactivating on another host, and placement happens only when a key first activates.
        var fresh = targets.Select(gpu =>
        {
            int index = _nextInstance++;
            return _instances.Add(index, new ShardKey(Model, index, 0).ToString(), gpu, GpuKey.Parse(gpu).Host, deployment.Image.NumLayers);
        }).ToList();
        var loads = new List<Task>();
        try
        {
            var planning = new FeedPlanning(GrainFactory, Model);
            // A copy made for these loads fills from storage while it feeds them: only one held before is whole.
            string? wholeCopy = _hostCopy;
            string? copy = await HostCopyFor(hosts, senders, excludeHostCopy);
            bool complementary = deployment.Policy.ScalesLive() && _complementaryLoads && copy is not null && copy == wholeCopy;
            var plan = await PlanFeeds(planning, hosts, deployment, fresh, sources is null ? null : senders, copy, complementary);
            var fallbacks = await planning.Fallbacks(hosts, deployment, fresh, plan, fallbackSenders ?? _instances.LoadSources, copy);
            LearnHops(fresh, plan, copy == wholeCopy ? copy : null);
            LogPlanned(_logger, Model, plan.Description);
            Publish(ModelEventKind.Planned, plan.Description);
            steps.Lap("plan");
            // Every node of every chain registers its image before any node starts fetching. The shards prepare at once, each
            // on its own host: one after the other, a scale-up waited for the sum of their load calls.
            var prepared = fresh.Select(instance => Calls.Load(instance,
                new ShardLoadRequest(instance.Gpu, deployment.Directory, deployment.KvBlocks, deployment.MaxBatchTokens, plan.Feeds[instance.Gpu], Deferred: true,
                    Fallbacks: fallbacks.GetValueOrDefault(instance.Gpu)))).ToList();
            loads.AddRange(prepared);
            await Task.WhenAll(loads);
            for (int n = 0; n < fresh.Count; n++) LearnSeats(fresh[n], prepared[n].Result);
        }
        catch
        {
            if (loads.Count > 0) await Task.WhenAll(loads).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            for (int n = 0; n < loads.Count; n++)
            {
                if (loads[n].IsCompletedSuccessfully) await UnloadQuietly(fresh[n]);
            }
            foreach (var instance in fresh) Forget(instance);
            throw;
        }
        foreach (var instance in fresh) _instances.StartLoading(instance.Index);
        steps.Lap("load shards");
        // Host copies made for these loads (a baseline's cache miss) read the files from now, with the loads they feed.
        await Task.WhenAll(fresh.Select(i => i.Host).Distinct().Select(host => HostMemory(host).StartFill(Model)));
        steps.Lap("start fills");
        await Task.WhenAll(fresh.Select(Calls.Begin));
        steps.Lap("begin");
        ReportStates();
        LogScaledUp(_logger, Model, fresh.Count, steps.TotalMs, steps.ToString());
        return fresh;
    }

    /// <summary>
    /// The feeds of <paramref name="fresh"/> from <paramref name="senders"/> when named (a replan's, an operator's); else from
    /// <see cref="ScaleUpSources"/>, which extends the chains of loads in flight rather than share a feeding holder's link:
    /// targets that may use the same senders are planned together.
    /// </summary>
    private async Task<FeedPlan> PlanFeeds(FeedPlanning planning, IReadOnlyList<HostInfo> hosts, ModelDeployment deployment,
        IReadOnlyList<InstanceLifecycle> fresh, IReadOnlyList<InstanceLifecycle>? senders, string? copy, bool complementary)
    {
        if (senders is not null) return await planning.Plan(hosts, deployment, fresh, senders, copy, sourcesNamed: true, complementary);
        var all = _instances.All;
        var groups = fresh.GroupBy(t => ScaleUpSources.Choose(all, _hops, t.Host), SendersComparer).ToList();
        var feeds = new Dictionary<string, IReadOnlyList<LoadFeed>>(StringComparer.Ordinal);
        var descriptions = new List<string>();
        foreach (var group in groups)
        {
            var plan = await planning.Plan(hosts, deployment, [.. group], group.Key, copy, complementary: complementary);
            foreach (var (gpu, feed) in plan.Feeds) feeds[gpu] = feed;
            descriptions.Add(plan.Description);
        }
        return new FeedPlan(feeds, string.Join("; ", descriptions));
    }

    private static readonly IEqualityComparer<IReadOnlyList<InstanceLifecycle>> SendersComparer = EqualityComparer<IReadOnlyList<InstanceLifecycle>>.Create(
        (a, b) => a!.Select(i => i.Index).SequenceEqual(b!.Select(i => i.Index)), s => s.Aggregate(0, (h, i) => HashCode.Combine(h, i.Index)));

    /// <summary>
    /// A new instance lost a source mid-transfer: plan its load again on the same GPU without that source, nor any it lost
    /// before, nor the other sources of a lost holder's host (<see cref="LostSources"/>) — from other GPUs, the host copy, or
    /// storage — once or twice, not forever. The shard keeps what landed and verified and fetches only the rest; a shard that
    /// kept nothing is unloaded and a new instance loads the whole image.
    /// </summary>
    private async Task Replan(InstanceLifecycle failed, string lostSource)
    {
        bool given = false;
        _replanning.Add(failed.Index);
        try
        {
            if (_deployment is null) return;
            if (!_lost.TryGetValue(failed.Index, out var lost)) _lost[failed.Index] = lost = new LostSources();
            lost.Lost(lostSource, _instances.LoadSources);
            LogReplanning(_logger, failed.Shard, lostSource, string.Join(", ", lost.Hosts));
            Publish(ModelEventKind.Planned, $"replanning the load onto {failed.Gpu}: source {lostSource} was lost");
            if (await RefeedRetrying(failed, lost))
            {
                lost.Replanned();
                return;
            }
            Forget(failed);
            await UnloadQuietly(failed);
            var senders = lost.Senders(_instances.LoadSources);
            var added = await ScaleUp(await Hosts(), 1, [failed.Gpu], [.. senders.Select(s => s.Gpu)], revive: false, lost.ExcludesHostCopy(_hostCopy), senders);
            lost.Replanned();
            foreach (var instance in added) _lost[instance.Index] = lost;
        }
        catch (Exception e)
        {
            LogReplanFailed(_logger, failed.Shard, e);
            // A shard still Failed may hold the image it kept for the refeed: not planned again, it must let it go.
            if (_instances.Find(failed.Index) is { State: InstanceState.Failed }) await UnloadQuietly(failed);
            given = true;
        }
        finally
        {
            _replanning.Remove(failed.Index);
        }
        // Failed for good now, it leaves the count short: a restore that ran meanwhile counted it as coming back (it was being
        // planned again) and no event will come for it, so the count is restored here (its GPU among the free ones).
        if (given) await RestoreCount();
    }

    /// <summary>
    /// <see cref="Refeed"/>, tried again while the cluster cannot answer: the silo that died with the source may also hold a grain
    /// the plan asks (the topology), and calls there fail until membership declares it dead. Given up as before after
    /// <see cref="ReplanPatience"/>: the shard is unloaded and a new instance loads.
    /// </summary>
    private async Task<bool> RefeedRetrying(InstanceLifecycle failed, LostSources lost)
    {
        long start = _time.GetTimestamp();
        while (true)
        {
            try
            {
                return await Refeed(failed, lost);
            }
            catch (Exception e) when (e is OrleansMessageRejectionException or TimeoutException && _time.GetElapsedTime(start) < ReplanPatience)
            {
                LogReplanRetry(_logger, failed.Shard, e.Message);
                await Task.Delay(ReplanRetryDelay, _time);
            }
        }
    }

    /// <summary>Plans the whole image of a failed instance without the sources it lost and has its shard fetch what it lacks.</summary>
    private async Task<bool> Refeed(InstanceLifecycle failed, LostSources lost)
    {
        var hosts = await HostsOrLastKnown();
        // As in ScaleUp: a sender on a host not listed would keep the host copy from being made again.
        var senders = HostsAlive.Sending(lost.Senders(_instances.LoadSources), hosts);
        // A copy made again goes to a host not suspected with the lost sources.
        var copy = await HostCopyFor([.. hosts.Where(h => !lost.Hosts.Contains(h.Host))], senders, lost.ExcludesHostCopy(_hostCopy));
        var plan = await new FeedPlanning(GrainFactory, Model).Plan(hosts, _deployment!, [failed], senders, copy, sourcesNamed: true);
        if (!await Calls.Refeed(failed, plan.Feeds[failed.Gpu])) return false;
        _refeeds[failed.Index] = Refeeds(failed.Index) + 1;
        // Its old feeder no longer forwards to it: kept, that feeder would count as a chain's inner hop and never pair.
        _hops.Replanned(failed.Index);
        LearnHops([failed], plan, wholeCopy: null);
        _instances.Reset(failed.Index);
        _instances.StartLoading(failed.Index);
        LogPlanned(_logger, Model, plan.Description);
        Publish(ModelEventKind.Planned, plan.Description);
        Changed();
        return true;
    }

    /// <summary>
    /// Takes an active instance out of service: a loading one is unloaded at once (it serves nobody); a serving one drains,
    /// finishing its requests, and then turns Warm or is unloaded.
    /// </summary>
    private async Task Stop(InstanceLifecycle instance, bool keepWarm)
    {
        if (instance.IsLoading)
        {
            Forget(instance);
            await UnloadQuietly(instance);
            return;
        }
        LeavePair(instance);
        if (_instances.Drain(instance.Index).Applied)
        {
            _warmAfterDrain[instance.Index] = keepWarm;
            StartDrainClock(instance);
        }
        Changed();
    }

    /// <summary>Draining instances with no request left turn Warm, or are unloaded when they were not to be kept.</summary>
    private async Task FinishDrains()
    {
        foreach (int index in _router.Drained())
        {
            var instance = _instances.Find(index)!;
            if (!_instances.Drained(index).Applied) continue;
            if (_warmAfterDrain.Remove(index, out bool keep) && !keep)
            {
                Forget(instance);
                await UnloadQuietly(instance);
                continue;
            }
            await Calls.SetWarm(instance);
        }
        DrainProgressed();
    }

    /// <summary>
    /// Reads the shards of <paramref name="instances"/> and feeds what they report to the state machine (an event may still
    /// be on its way): a whole image, a failure, an eviction. Returns the reports.
    /// </summary>
    private async Task<IReadOnlyList<InstanceStatus>> Observe(IReadOnlyList<InstanceLifecycle> instances)
    {
        var replans = instances.Select(i => Replans(i.Index)).ToList();
        var reports = await Task.WhenAll(instances.Select(StatusOrNull));
        for (int n = 0; n < instances.Count; n++)
        {
            var (instance, report) = (instances[n], reports[n]);
            if (report is null || _instances.Find(instance.Index) is null) continue;
            // A report asked for before a replan began or ended may say Failed of the load planned again since: it is stale.
            if (_replanning.Contains(instance.Index) || Replans(instance.Index) != replans[n]) continue;
            if (report.State == Interfaces.Serving.InstanceState.Failed && instance.State != InstanceState.Failed)
            {
                Failed(instance, report.Error ?? "failed");
                // Its event may still be on its way: a shard that kept its image after a lost source is planned again now,
                // before a scale-up can take it for a Failed instance to replace (and load the whole image anew).
                if (report.LostSource is { } lost && report.Load > Refeeds(instance.Index) && Replans(instance.Index) < MaxReplans)
                {
                    await Replan(instance, lost);
                    // The report is of the load before the replan, and the refeed may have completed meanwhile: a status that
                    // paired it with the state now would show a Serving instance with the failed load's bytes and source.
                    reports[n] = await StatusOrNull(instance);
                }
            }
            else if (report.State == Interfaces.Serving.InstanceState.Inactive && instance.State is InstanceState.Warm)
                Forget(instance);
            else
            {
                LearnSeats(instance, report);
                if (report.LoadedLayers > instance.LoadedLayers) _instances.LayersLanded(instance.Index, report.LoadedLayers);
                // Every layer may have been reported landed before the shard's Serving event arrives: its report says it serves.
                if (report.LoadedTailLayers > instance.LoadedTailLayers) _instances.TailLayersLanded(instance.Index, report.LoadedTailLayers);
                if (report.State == Interfaces.Serving.InstanceState.Serving && instance.IsLoading)
                    await FinishLoad(instance);
            }
        }
        Changed();
        return [.. reports.OfType<InstanceStatus>()];
    }

    // The lifecycle says the instance holds its whole image, the report (read earlier) that it did not yet.
    private static bool Behind(InstanceStatus report, InstanceLifecycle instance) =>
        instance.State is InstanceState.Serving or InstanceState.LiveOld or InstanceState.Draining or InstanceState.Warm
        && report.State != Interfaces.Serving.InstanceState.Serving;

    /// <summary>
    /// The shard's report, or null when it cannot answer in time: a silo killed but not yet declared dead must not fail the
    /// scale-up, status or autoscaler tick that asked (membership, or a lost request's probe, drops its instances).
    /// </summary>
    private async Task<InstanceStatus?> StatusOrNull(InstanceLifecycle instance)
    {
        try
        {
            var report = await Calls.Status(instance).WaitAsync(ProbeLimit);
            _unreachable.Remove(instance.Index);
            return report;
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            // A shard that is slow to answer is still there; one whose silo cannot be reached (the connection refused, its host
            // without an active silo) most likely is not, though membership may take seconds to say so (AutoscaleSignals).
            if (e is TimeoutException) _unreachable.Remove(instance.Index);
            else _unreachable.Add(instance.Index);
            LogStatusUnanswered(_logger, instance.Shard, e.Message);
            return null;
        }
    }

    // Which instance forwards layers to which of targets: a feed from a GPU holding an instance of the model makes that
    // instance a hop of the target's chain (an inner hop when the target still loads). And which targets load from inside
    // their host, from GPUs holding every layer or the host copy when it was whole before the plan (wholeCopy; null: none is
    // known whole, as for a refeed, which may follow a lost copy).
    private void LearnHops(IReadOnlyList<InstanceLifecycle> targets, FeedPlan plan, string? wholeCopy)
    {
        var whole = _instances.LoadSources.Select(i => i.Gpu).ToHashSet(StringComparer.Ordinal);
        var local = FeedLocality.WithinHost(plan.Feeds,
            from => whole.Contains(from) || (wholeCopy is not null && string.Equals(from, TransferPlan.HostCopyEndpoint(wholeCopy), StringComparison.Ordinal)));
        foreach (var target in targets) _localLoads.Learn(target.Index, local.Contains(target.Gpu));
        foreach (var target in targets) _tailLoads.Learn(target.Index, plan.Feeds[target.Gpu].Any(f => f.Descending));
        foreach (var target in targets)
        {
            foreach (var feed in plan.Feeds[target.Gpu])
            {
                // A feed from a GPU that holds no instance of this model (a host copy, storage) is no hop.
                if (_instances.All.FirstOrDefault(i => string.Equals(i.Gpu, feed.From, StringComparison.Ordinal)) is { } from)
                    _hops.Learn(from.Index, target.Index);
            }
        }
    }

    // Returns the LiveOld partner of a live pair this finished, which must stop pulling.
    private InstanceLifecycle? Loaded(InstanceLifecycle instance)
    {
        _instances.LayersLanded(instance.Index, instance.TotalLayers);
        if (instance.State == InstanceState.Loading) _instances.FinishLoading(instance.Index);
        // A LiveTail whose load completed serves from now on beside its LiveNew, still loading: a LiveOld.
        else if (instance.State == InstanceState.LiveTail) _instances.TailLoaded(instance.Index);
        else if (instance.State == InstanceState.LiveNew && _instances.FinishLive(instance.Index) is { Applied: true, Partner: { } old })
            return _instances.Find(old);
        return null;
    }

    /// <summary>
    /// Live scaling (blitz): a loading instance with its first layers pairs with the most loaded serving instance, and both
    /// shards are told. A pair the shards refuse (a shard no longer loading or loaded, an engine that cannot be opened) is undone
    /// and not tried again.
    /// </summary>
    private async Task PairLive(InstanceLifecycle fresh)
    {
        // One pairing at a time: this grain is reentrant, and two loading instances must not both take the same partner.
        if (!_deployment!.Policy.ScalesLive() || _pairingLive) return;
        if (LivePartners.ChooseComplementary(fresh, _instances.All, _tailLoads.LoadsLastFirst, _hops.From, _localLoads.StaysOut) is { } pair)
        {
            if (!_liveRefused.Contains(pair.Head.Index) && !_liveRefused.Contains(pair.Tail.Index)) await PairTail(pair.Head, pair.Tail);
            return;
        }
        if (_liveRefused.Contains(fresh.Index)) return;
        if (LivePartners.Choose(fresh, _instances.All, _router.Outstanding, _hops.From,
                staysOut: _localLoads.StaysOut) is not { } old)
            return;
        _pairingLive = true;
        try
        {
            try
            {
                await Calls.PairLive(fresh, new LivePairing(LiveRole.New, old.Shard, old.Host));
                await Calls.PairLive(old, new LivePairing(LiveRole.Old, fresh.Shard, fresh.Host));
            }
            catch (Exception e)
            {
                _liveRefused.Add(fresh.Index);
                await EndLive(old);
                LogPairFailed(_logger, fresh.Shard, old.Shard, e.Message);
                return;
            }
            // The shards are ready before the router may send the new instance anything. Their states may have moved meanwhile
            // (the load completed, the partner drained): then the pair is not made, and the partner stops pulling.
            if (!_instances.Pair(fresh.Index, old.Index).Applied)
            {
                if (old.Partner is null) await EndLive(old);
                return;
            }
            LogPairedLive(_logger, fresh.Shard, old.Shard, fresh.LoadedLayers, fresh.TotalLayers);
            ModelEvents.PublishInOrder(this, new ModelEvent
            {
                Kind = ModelEventKind.LivePaired, Model = Model, Shard = fresh.Shard, Gpu = fresh.Gpu, LoadedLayers = fresh.LoadedLayers,
                TotalLayers = fresh.TotalLayers, Detail = $"serves live beside {old.Shard} ({old.Gpu}) with {fresh.LoadedLayers} of {fresh.TotalLayers} layers",
            });
        }
        finally
        {
            _pairingLive = false;
        }
    }

    /// <summary>
    /// Loads in complementary orders: <paramref name="head"/>, its first layers landed, and <paramref name="tail"/>, its last, hold
    /// the model between them. The tail's shard starts running tails, then the head's serves live handing them over at the
    /// split nearest half the layers that the tail allows (a head paired with a busy instance until now switches to the tail,
    /// and the busy instance, told the pair ended, finishes what it pulled). A pair the shards refuse is undone and neither
    /// instance is paired with a tail again.
    /// </summary>
    private async Task PairTail(InstanceLifecycle head, InstanceLifecycle tail)
    {
        _pairingLive = true;
        try
        {
            int cap = ComplementarySplit.Cap(head.TotalLayers, tail.LoadedTailLayers);
            try
            {
                await Calls.PairLive(tail, new LivePairing(LiveRole.Tail, head.Shard, head.Host));
                await Calls.PairLive(head, new LivePairing(LiveRole.New, tail.Shard, tail.Host, cap));
            }
            catch (Exception e)
            {
                _liveRefused.Add(head.Index);
                _liveRefused.Add(tail.Index);
                await EndLive(tail);
                LogPairFailed(_logger, head.Shard, tail.Shard, e.Message);
                return;
            }
            var before = head.Partner is { } p && _instances.Find(p) is { State: InstanceState.LiveOld } busy ? busy : null;
            if (!_instances.PairTail(head.Index, tail.Index).Applied)
            {
                if (tail.Partner is null) await EndLive(tail);
                return;
            }
            // The busy instance the head leaves stops pulling from it; what it pulled finishes there.
            await EndLive(before);
            LogPairedTail(_logger, head.Shard, tail.Shard, head.LoadedLayers, tail.LoadedTailLayers, head.TotalLayers, cap);
            ModelEvents.PublishInOrder(this, new ModelEvent
            {
                Kind = ModelEventKind.LivePaired, Model = Model, Shard = head.Shard, Gpu = head.Gpu, LoadedLayers = head.LoadedLayers,
                TotalLayers = head.TotalLayers,
                Detail = $"serves live with its first {head.LoadedLayers} of {head.TotalLayers} layers beside {tail.Shard} ({tail.Gpu}), loading the last {tail.LoadedTailLayers} first, split at layer {cap} at most",
            });
        }
        finally
        {
            _pairingLive = false;
        }
    }

    /// <summary>
    /// Every layer of <paramref name="instance"/> landed. A LiveNew's pair ends here: its LiveOld hands it part of the backlog
    /// built while it loaded (<see cref="LiveHandover.AtPairEnd"/>, from the router's open requests on each) and stops.
    /// </summary>
    private async Task FinishLoad(InstanceLifecycle instance)
    {
        if (Loaded(instance) is not { } old) return;
        try
        {
            await Calls.FinishLive(old, _router.OpenRequests(old.Index), _router.OpenRequests(instance.Index));
        }
        catch (Exception e)
        {
            LogEndLiveFailed(_logger, old.Shard, e.Message);
        }
    }

    private async Task EndLive(InstanceLifecycle? old)
    {
        if (old is null) return;
        try
        {
            await Calls.EndLive(old);
        }
        catch (Exception e)
        {
            LogEndLiveFailed(_logger, old.Shard, e.Message);
        }
    }

    /// <summary>Failed and not being planned again: it serves nothing and will not, so a new load may take its GPU.</summary>
    private bool Replaceable(InstanceLifecycle instance) => instance.State == InstanceState.Failed && !_replanning.Contains(instance.Index);

    private void Failed(InstanceLifecycle instance, string reason)
    {
        LeavePair(instance);
        _router.DropInstance(instance.Index);
        _instances.Fail(instance.Index, reason);
    }

    /// <summary>The instance is gone (unloaded, evicted, replaced, its host lost): out of the state machine and the router.</summary>
    private void Forget(InstanceLifecycle instance)
    {
        LeavePair(instance);
        _router.DropInstance(instance.Index);
        _lost.Remove(instance.Index);
        _warmAfterDrain.Remove(instance.Index);
        _hops.Forget(instance.Index);
        _localLoads.Forget(instance.Index);
        _tailLoads.Forget(instance.Index);
        _unreachable.Remove(instance.Index);
        if (instance.State is not (InstanceState.Inactive or InstanceState.Failed)) _instances.Fail(instance.Index, "unloaded");
        _instances.Reset(instance.Index);
        _instances.Remove(instance.Index);
    }

    private int Replans(int index) => _lost.GetValueOrDefault(index)?.Replans ?? 0;

    // Loads of the instance's shard planned again on it: its current load is the shard's load number Refeeds + 1.
    private int Refeeds(int index) => _refeeds.GetValueOrDefault(index);

    /// <summary>Wakes the requests held for an instance: states changed.</summary>
    private void Changed()
    {
        ReportStates();
        SaveSoon();
        var changed = _changed;
        _changed = NewSignal();
        changed.TrySetResult();
        Dispatch();
        KeepCopySoon();
    }

    // The silo hosting this grain exports its instances' states as they are now; every change of state passes here.
    private void ReportStates() => _metrics.SetInstances(Model, _instances.All.Select(i => i.State));

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task<IReadOnlyList<HostInfo>> Hosts()
    {
        var hosts = await GrainFactory.GetGrain<ITopologyGrain>(GrainKeys.Cluster).GetHosts();
        if (hosts.Count == 0) throw new InvalidOperationException("the cluster has no GPU hosts yet (no silo has registered)");
        _lastHosts = hosts;
        return hosts;
    }

    /// <summary>
    /// The hosts, or the ones last read when the topology grain cannot answer now (its silo died with a lost source and is not
    /// yet declared dead): a replan leaves the lost hosts out itself and need not wait for membership.
    /// </summary>
    private async Task<IReadOnlyList<HostInfo>> HostsOrLastKnown()
    {
        try
        {
            return await Hosts();
        }
        catch (Exception e) when (e is OrleansMessageRejectionException or TimeoutException && _lastHosts is { } last)
        {
            LogHostsLastKnown(_logger, Model, e.Message);
            return last;
        }
    }

    // In the background, in order: a publication held by a dead silo's stream queue must not hold the model grain. A replan
    // published its event before planning, and such a wait outlasts the 1 s the shard of a load that lost its source gives the
    // model grain before it falls back by itself (FallbackWait.Grace).
    private void Publish(ModelEventKind kind, string detail) => ModelEvents.PublishInOrder(this, new ModelEvent { Kind = kind, Model = Model, Detail = detail });

    private IHostMemoryGrain HostMemory(string host) => GrainFactory.GetGrain<IHostMemoryGrain>(new HostMemoryKey(host).ToString());

    private async Task UnloadQuietly(InstanceLifecycle instance)
    {
        try
        {
            await Calls.Unload(instance);
        }
        catch (Exception e)
        {
            LogUnloadFailed(_logger, instance.Shard, e);
        }
    }

    private KeyNotFoundException NotDeployed() =>
        new($"model \"{Model}\" is not deployed (deploy it first: blitz deploy --model DIR)");
}
