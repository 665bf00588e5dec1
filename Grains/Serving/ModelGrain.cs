using System.Runtime.CompilerServices;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Grains.Placement;
using BlitzScale.Scaling.Planning;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// One model: its deployment, its instances (Loading, Serving, Warm), the parameter pool (which GPUs hold the model,
/// which host holds its one host-memory copy), scaling through the transfer planner, and the router (least outstanding
/// tokens). It follows the model's event stream to learn when instances finish loading, fail or are evicted.
/// Reentrant: it is a router, not a bottleneck.
/// </summary>
[Reentrant, ImplicitStreamSubscription(StreamNames.ModelEvents)]
internal sealed partial class ModelGrain(ILogger<ModelGrain> logger) : Grain, IModelGrain, IStreamSubscriptionObserver, IAsyncObserver<ModelEvent>
{
    private const int MaxInstances = 256;
    private const int MaxReplans = 2;

    private ModelDeployment? _deployment;
    private string? _hostCopy;
    private List<InstanceSlot> _slots = [];
    private int _queued;
    private int _nextInstance;

    private string Model => this.GetPrimaryKeyString();

    public async Task<ModelStatus> Deploy(DeployRequest request)
    {
        if (request.Instances is < 1 or > MaxInstances)
            throw new ArgumentException($"instances: expected 1 to {MaxInstances}, found {request.Instances}");
        if (string.IsNullOrWhiteSpace(request.ModelDirectory))
            throw new ArgumentException("model directory: expected a path, found an empty one");
        if (request.Gpus is { } given && given.Count != request.Instances)
            throw new ArgumentException($"gpus: {given.Count} given for {request.Instances} instance(s); give one per instance or none");
        if (request.KeepAliveSeconds is { } keepAlive && !(keepAlive > 0))
            throw new ArgumentException($"keep-alive: expected a positive number of seconds, found {keepAlive}");
        if (!Enum.IsDefined(request.Policy))
            throw new ArgumentException($"policy: expected blitz, sllm or allcache, found {(int)request.Policy}");
        if (_deployment is { } current)
        {
            if (current.Directory == request.ModelDirectory && current.Policy == request.Policy && _slots.Count(s => s.Active) == request.Instances)
                return await GetStatus();
            throw new InvalidOperationException(
                $"model \"{Model}\" is already deployed from {current.Directory} with {_slots.Count(s => s.Active)} instance(s); undeploy it first, or scale it");
        }

        var hosts = await Hosts();
        if (request.Gpus is { } chosen) GpuChooser.Validate(hosts, chosen);
        var memory = await Task.WhenAll(hosts.Select(h => HostMemory(h.Host).GetStatus()));
        // The one host copy (blitz) lives on the host with the most memory left for copies; ties go to the first by name.
        string copyHost = memory.OrderByDescending(m => m.MemoryBytes - m.CopyBytes).ThenBy(m => m.Host, StringComparer.Ordinal).First().Host;
        var image = await HostMemory(copyHost).Describe(request.ModelDirectory);
        var deployment = ModelDeployment.From(request, image);

        _deployment = deployment;
        DelayDeactivation(TimeSpan.FromDays(3650));
        try
        {
            if (deployment.Policy == LoadPolicy.Blitz)
            {
                await HostMemory(copyHost).EnsureCopy(Model, deployment.Directory, null, deferFill: false);
                _hostCopy = copyHost;
            }
            else if (deployment.Policy == LoadPolicy.AllCache)
            {
                foreach (var host in hosts) await HostMemory(host.Host).EnsureCopy(Model, deployment.Directory, null, deferFill: false);
            }
            await ScaleUp(hosts, request.Instances, request.Gpus, sources: null, revive: false);
        }
        catch
        {
            await Undeploy();
            throw;
        }
        await GrainFactory.GetGrain<IModelRegistryGrain>(GrainKeys.Cluster).Add(Model);
        LogDeployed(logger, Model, request.Instances, deployment.Policy, _hostCopy ?? "-");
        return await GetStatus();
    }

    public async Task<ModelStatus> Scale(ScaleRequest request)
    {
        if (_deployment is null) throw NotDeployed();
        if (request.Instances is < 0 or > MaxInstances)
            throw new ArgumentException($"instances: expected 0 to {MaxInstances}, found {request.Instances}");
        int active = _slots.Count(s => s.Active);
        if (request.Instances > active)
        {
            int more = request.Instances - active;
            if (request.Gpus is { } given && given.Count != more)
                throw new ArgumentException($"gpus: {given.Count} given for {more} new instance(s) ({active} active, {request.Instances} wanted); give one per new instance or none");
            var hosts = await Hosts();
            if (request.Gpus is { } gpus) GpuChooser.Validate(hosts, gpus);
            if (request.Sources is { } sources) GpuChooser.Validate(hosts, sources);
            await ScaleUp(hosts, more, request.Gpus, request.Sources, request.ReviveWarm);
        }
        else if (request.Instances < active)
        {
            // The newest instances stop first: the oldest have the warmest caches and the longest-running requests.
            foreach (var slot in _slots.Where(s => s.Active).OrderByDescending(s => s.Index).Take(active - request.Instances).ToList())
            {
                if (request.KeepWarm)
                {
                    await HostContext.On(slot.Host, () => Shard(slot).SetWarm());
                    slot.Warm = true;
                }
                else
                {
                    _slots.Remove(slot);
                    await UnloadQuietly(slot);
                }
            }
            LogScaledDown(logger, Model, request.Instances, request.KeepWarm);
        }
        return await GetStatus();
    }

    public async Task Undeploy()
    {
        var slots = _slots;
        _slots = [];
        var deployment = _deployment;
        _deployment = null;
        _hostCopy = null;
        foreach (var slot in slots) await UnloadQuietly(slot);
        if (deployment is not null)
        {
            // The model is gone: so are its host copies, whatever the policy kept.
            foreach (var host in await Hosts())
            {
                try
                {
                    await HostMemory(host.Host).Drop(Model);
                }
                catch (Exception e)
                {
                    LogDropFailed(logger, Model, host.Host, e);
                }
            }
        }
        await GrainFactory.GetGrain<IModelRegistryGrain>(GrainKeys.Cluster).Remove(Model);
        // Stay active: the instance counter must outlive the shards' deactivation.
    }

    public async Task<ModelStatus> GetStatus()
    {
        var deployment = _deployment ?? throw NotDeployed();
        var slots = _slots.ToList();
        var instances = await Task.WhenAll(slots.Select(s => HostContext.On(s.Host, () => Shard(s).GetStatus())));
        // A Warm instance found unloaded was evicted (its event may still be on its way here): it is gone.
        var evicted = slots.Zip(instances).Where(p => p.First.Warm && p.Second.State == InstanceState.Inactive).ToList();
        foreach (var (slot, _) in evicted) _slots.Remove(slot);
        if (evicted.Count > 0)
        {
            slots = slots.Except(evicted.Select(p => p.First)).ToList();
            instances = instances.Except(evicted.Select(p => p.Second)).ToArray();
        }
        foreach (var (slot, status) in slots.Zip(instances))
        {
            slot.Failed = status.State == InstanceState.Failed;
            slot.Error = status.Error;
            slot.Loaded |= status.State is InstanceState.Serving or InstanceState.Warm;
        }
        var copies = new List<string>();
        foreach (var host in await Hosts())
        {
            var memory = await HostMemory(host.Host).GetStatus();
            if (memory.Copies.Any(c => c.Model == Model)) copies.Add(host.Host);
        }
        return new ModelStatus(Model, deployment.Directory, instances, _queued,
            instances.Where(i => i.State == InstanceState.Serving).Sum(i => i.TokensPerSecond), deployment.Policy, copies);
    }

    public async IAsyncEnumerable<GenerationUpdate> Generate(GenerateRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_deployment is null) throw NotDeployed();
        var slot = Route();
        long owed = (request.PromptIds?.Length ?? request.Prompt.Length / 4 + 1) + Math.Max(0, request.MaxTokens);
        slot.OutstandingTokens += owed;
        _queued++;
        bool first = true;
        try
        {
            HostContext.Set(slot.Host);
            await foreach (var update in Shard(slot).Generate(request, cancellationToken).WithCancellation(cancellationToken))
            {
                if (first)
                {
                    first = false;
                    _queued--;
                }
                if (update.TokenId >= 0 && owed > 0)
                {
                    owed--;
                    slot.OutstandingTokens--;
                }
                yield return update;
            }
        }
        finally
        {
            if (first) _queued--;
            slot.OutstandingTokens -= owed;
        }
    }

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) => handleFactory.Create<ModelEvent>().ResumeAsync(this);

    public Task OnNextAsync(ModelEvent item, StreamSequenceToken? token = null)
    {
        var slot = _slots.FirstOrDefault(s => s.Shard == item.Shard);
        if (slot is null) return Task.CompletedTask;
        switch (item.Kind)
        {
            case ModelEventKind.Serving:
            case ModelEventKind.Revived:
                slot.Loaded = true;
                slot.Warm = false;
                break;
            case ModelEventKind.Failed:
                slot.Failed = true;
                slot.Error = item.Detail;
                if (item.LostSource is { } lost && slot.Replans < MaxReplans) _ = Replan(slot, lost);
                break;
            case ModelEventKind.Evicted:
                _slots.Remove(slot);
                break;
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// A new instance lost a source mid-transfer: plan its load again on the same GPU without that source (other GPUs, the
    /// host copy, or storage), once or twice, not forever.
    /// </summary>
    private async Task Replan(InstanceSlot failed, string lostSource)
    {
        try
        {
            if (_deployment is null || !_slots.Remove(failed)) return;
            await UnloadQuietly(failed);
            LogReplanning(logger, failed.Shard, lostSource);
            await Publish(ModelEventKind.Planned, $"replanning the load onto {failed.Gpu}: source {lostSource} was lost");
            var sources = _slots.Where(s => s.Loaded && !s.Failed && s.Gpu != lostSource).Select(s => s.Gpu).ToList();
            var added = await ScaleUp(await Hosts(), 1, [failed.Gpu], sources, revive: false, excludeHostCopy: TransferPlan.HostOfHostCopy(lostSource) is not null);
            foreach (var slot in added) slot.Replans = failed.Replans + 1;
        }
        catch (Exception e)
        {
            LogReplanFailed(logger, failed.Shard, e);
        }
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    /// <summary>
    /// Adds <paramref name="count"/> instances: revives Warm ones first (on the given GPUs, when GPUs are given), then
    /// loads new ones on the given or chosen GPUs, fed as the policy says.
    /// </summary>
    private async Task<IReadOnlyList<InstanceSlot>> ScaleUp(
        IReadOnlyList<HostInfo> hosts, int count, IReadOnlyList<string>? gpus, IReadOnlyList<string>? sources, bool revive, bool excludeHostCopy = false)
    {
        var deployment = _deployment!;
        var wanted = gpus?.ToList();
        if (revive)
        {
            foreach (var slot in _slots.Where(s => s.Warm && !s.Failed && (wanted is null || wanted.Contains(s.Gpu))).OrderBy(s => s.Index).ToList())
            {
                if (count == 0) break;
                if (await HostContext.On(slot.Host, () => Shard(slot).Revive()))
                {
                    slot.Warm = false;
                    count--;
                    wanted?.Remove(slot.Gpu);
                    LogRevived(logger, slot.Shard);
                }
                else
                {
                    _slots.Remove(slot);
                }
            }
        }
        if (count == 0) return [];

        var taken = _slots.Select(s => s.Gpu).ToHashSet(StringComparer.Ordinal);
        var targets = wanted ?? (IReadOnlyList<string>?)GpuChooser.Choose(hosts, count, taken)
            ?? throw new InvalidOperationException(
                $"{count} more instance(s) of \"{Model}\" need as many free GPUs; the cluster has {hosts.Sum(h => h.Gpus)} on {hosts.Count} host(s) and {taken.Count} hold this model");
        if (targets.FirstOrDefault(taken.Contains) is { } busy)
            throw new ArgumentException($"gpus: {busy} already holds an instance of \"{Model}\"");

        // Instance numbers are never reused while this grain lives: a shard activation of an earlier deployment
        // may still be deactivating on another host, and placement happens only when a key first activates.
        var fresh = targets.Select(gpu =>
        {
            int index = _nextInstance++;
            return new InstanceSlot(index, new ShardKey(Model, index, 0).ToString(), gpu, GpuKey.Parse(gpu).Host);
        }).ToList();
        var feeds = await PlanFeeds(hosts, deployment, fresh, sources, excludeHostCopy);

        var prepared = new List<InstanceSlot>();
        try
        {
            // Every node of every chain registers its image before any node starts fetching.
            foreach (var slot in fresh)
            {
                var load = new ShardLoadRequest(slot.Gpu, deployment.Directory, deployment.KvBlocks, deployment.MaxBatchTokens, feeds[slot.Gpu], Deferred: true);
                await HostContext.On(slot.Host, () => Shard(slot).Load(load));
                prepared.Add(slot);
            }
        }
        catch
        {
            foreach (var slot in prepared) await UnloadQuietly(slot);
            throw;
        }
        _slots.AddRange(fresh);
        // Host copies made for these loads (a baseline's cache miss) read the files from now, with the loads they feed.
        foreach (string host in fresh.Select(s => s.Host).Distinct()) await HostMemory(host).StartFill(Model);
        foreach (var slot in fresh) await HostContext.On(slot.Host, async () => { await Shard(slot).Begin(); return 0; });
        return fresh;
    }

    /// <summary>What each new instance fetches from where, as the deployment's policy says.</summary>
    private async Task<Dictionary<string, IReadOnlyList<LoadFeed>>> PlanFeeds(
        IReadOnlyList<HostInfo> hosts, ModelDeployment deployment, IReadOnlyList<InstanceSlot> fresh, IReadOnlyList<string>? allowedSources, bool excludeHostCopy)
    {
        int blobs = deployment.Image.BlobSizes.Count;
        if (deployment.Policy != LoadPolicy.Blitz)
        {
            // Baselines: each instance loads from its own host's memory copy; sllm makes one (from the files) on a miss.
            var own = new Dictionary<string, IReadOnlyList<LoadFeed>>(StringComparer.Ordinal);
            var coldHosts = new HashSet<string>(StringComparer.Ordinal);
            foreach (var slot in fresh)
            {
                var copy = await HostMemory(slot.Host).EnsureCopy(Model, deployment.Directory, deployment.KeepAliveSeconds, deferFill: true);
                if (copy.Error is not null) throw new InvalidOperationException($"the host copy of \"{Model}\" on {slot.Host} failed: {copy.Error}");
                if (copy.Cold) coldHosts.Add(slot.Host);
                own[slot.Gpu] = FeedMapper.FromOwnHostCopy(Model, slot.Host, blobs, cold: coldHosts.Contains(slot.Host));
            }
            await Publish(ModelEventKind.Planned, $"{fresh.Count} instance(s) from their hosts' memory ({deployment.Policy})");
            return own;
        }

        // Events may trail the shards: ask the ones not yet known to hold the model.
        foreach (var slot in _slots.Where(s => !s.Loaded && !s.Failed).ToList())
        {
            var state = (await HostContext.On(slot.Host, () => Shard(slot).GetStatus())).State;
            slot.Loaded = state is InstanceState.Serving or InstanceState.Warm;
            slot.Failed = state == InstanceState.Failed;
        }
        var sources = _slots.Where(s => s.Loaded && !s.Failed && (allowedSources is null || allowedSources.Contains(s.Gpu))).ToList();
        var input = PlanningInputs.Build(hosts, deployment.Image.BlobSizes, sources.Select(s => s.Gpu), excludeHostCopy ? null : _hostCopy, fresh.Select(s => s.Gpu).ToList());
        var plan = TransferPlanner.Plan(input);
        var shardOn = sources.Concat(fresh).ToDictionary(s => s.Gpu, s => s.Shard, StringComparer.Ordinal);
        var feeds = FeedMapper.Map(plan, Model, gpu => GpuKey.Parse(gpu).Host, gpu => shardOn[gpu], hosts.ToDictionary(h => h.Host, StringComparer.Ordinal));
        string description = plan.Describe();
        LogPlanned(logger, Model, description);
        await Publish(ModelEventKind.Planned, description);
        return feeds.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
    }

    // Least outstanding tokens among active instances; a loading one queues its requests until its parameters land.
    private InstanceSlot Route()
    {
        var active = _slots.Where(s => s.Active).ToList();
        if (active.Count == 0)
        {
            throw new InvalidOperationException($"model \"{Model}\" has no instance taking requests ({_slots.Count(s => s.Warm)} Warm, " +
                $"{_slots.Count(s => s.Failed)} failed: " + string.Join("; ", _slots.Where(s => s.Failed).Select(s => $"{s.Shard}: {s.Error}")) + ")");
        }
        return active.MinBy(s => (s.OutstandingTokens, s.Index))!;
    }

    private async Task<IReadOnlyList<HostInfo>> Hosts()
    {
        var hosts = await GrainFactory.GetGrain<ITopologyGrain>(GrainKeys.Cluster).GetHosts();
        return hosts.Count > 0 ? hosts : throw new InvalidOperationException("the cluster has no GPU hosts yet (no silo has registered)");
    }

    private Task Publish(ModelEventKind kind, string detail) => ModelEvents.Publish(this, new ModelEvent { Kind = kind, Model = Model, Detail = detail });

    private IHostMemoryGrain HostMemory(string host) => GrainFactory.GetGrain<IHostMemoryGrain>(new HostMemoryKey(host).ToString());

    private ILayerShardGrain Shard(InstanceSlot slot) => GrainFactory.GetGrain<ILayerShardGrain>(slot.Shard);

    private async Task UnloadQuietly(InstanceSlot slot)
    {
        try
        {
            await HostContext.On(slot.Host, async () => { await Shard(slot).Unload(); return 0; });
        }
        catch (Exception e)
        {
            LogUnloadFailed(logger, slot.Shard, e);
        }
    }

    private KeyNotFoundException NotDeployed() =>
        new($"model \"{Model}\" is not deployed (deploy it first: blitz deploy --model DIR)");

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} deployed: {Instances} instance(s), policy {Policy}, host copy on {HostCopy}")]
    private static partial void LogDeployed(ILogger logger, string model, int instances, LoadPolicy policy, string hostCopy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: {Plan}")]
    private static partial void LogPlanned(ILogger logger, string model, string plan);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} scaled down to {Instances} instance(s) (keep warm: {KeepWarm})")]
    private static partial void LogScaledDown(ILogger logger, string model, int instances, bool keepWarm);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} revived")]
    private static partial void LogRevived(ILogger logger, string shard);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {Shard} lost its source {Source} mid-load: planning its load again without it")]
    private static partial void LogReplanning(ILogger logger, string shard, string source);

    [LoggerMessage(Level = LogLevel.Error, Message = "Planning the load of {Shard} again failed")]
    private static partial void LogReplanFailed(ILogger logger, string shard, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unloading {Shard} failed")]
    private static partial void LogUnloadFailed(ILogger logger, string shard, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropping the copy of {Model} from the memory of {Host} failed")]
    private static partial void LogDropFailed(ILogger logger, string model, string host, Exception error);
}
