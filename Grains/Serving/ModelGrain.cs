using System.Runtime.CompilerServices;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Grains.Placement;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// One model: deploys its instances onto GPUs, routes each request to the instance with the fewest
/// outstanding tokens and streams its tokens back. Reentrant: it is a router, not a bottleneck.
/// </summary>
[Reentrant]
internal sealed partial class ModelGrain(ILogger<ModelGrain> logger) : Grain, IModelGrain
{
    private const int MaxInstances = 256;

    private string? _directory;
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
        if (_directory is not null)
        {
            if (_directory == request.ModelDirectory && _slots.Count == request.Instances) return await GetStatus();
            throw new InvalidOperationException(
                $"model \"{Model}\" is already deployed from {_directory} with {_slots.Count} instance(s); undeploy it first");
        }

        var hosts = await GrainFactory.GetGrain<ITopologyGrain>(GrainKeys.Cluster).GetHosts();
        if (hosts.Count == 0) throw new InvalidOperationException("the cluster has no GPU hosts yet (no silo has registered)");
        IReadOnlyList<string> gpus;
        if (request.Gpus is { } chosen)
        {
            GpuChooser.Validate(hosts, chosen);
            gpus = chosen;
        }
        else
        {
            gpus = GpuChooser.Choose(hosts, request.Instances, new HashSet<string>())
                ?? throw new InvalidOperationException(
                    $"{request.Instances} instance(s) need as many GPUs; the cluster has {hosts.Sum(h => h.Gpus)} on {hosts.Count} host(s)");
        }

        // Instance numbers are never reused while this grain lives: a shard activation of an earlier deployment
        // may still be deactivating on another host, and placement happens only when a key first activates.
        int first = _nextInstance;
        _nextInstance += gpus.Count;
        var slots = gpus.Select((gpu, i) => new InstanceSlot(first + i, GrainKeys.Shard(Model, first + i, 0), gpu, GrainKeys.ParseGpu(gpu).Host)).ToList();
        var load = new ShardLoadRequest("", request.ModelDirectory, request.KvBlocks, request.MaxBatchTokens);
        var started = new List<InstanceSlot>();
        try
        {
            foreach (var slot in slots)
            {
                await HostContext.On(slot.Host, () => Shard(slot).Load(load with { Gpu = slot.Gpu }));
                started.Add(slot);
            }
        }
        catch
        {
            foreach (var slot in started) await UnloadQuietly(slot);
            throw;
        }

        _directory = request.ModelDirectory;
        _slots = slots;
        DelayDeactivation(TimeSpan.FromDays(3650));
        await GrainFactory.GetGrain<IModelRegistryGrain>(GrainKeys.Cluster).Add(Model);
        LogDeployed(logger, Model, slots.Count, string.Join(", ", gpus));
        return await GetStatus();
    }

    public async Task Undeploy()
    {
        var slots = _slots;
        _slots = [];
        _directory = null;
        foreach (var slot in slots) await UnloadQuietly(slot);
        await GrainFactory.GetGrain<IModelRegistryGrain>(GrainKeys.Cluster).Remove(Model);
        // Stay active: the instance counter must outlive the shards' deactivation.
    }

    public async Task<ModelStatus> GetStatus()
    {
        string directory = _directory ?? throw NotDeployed();
        var instances = await Task.WhenAll(_slots.Select(s => HostContext.On(s.Host, () => Shard(s).GetStatus())));
        foreach (var (slot, status) in _slots.Zip(instances))
        {
            slot.Failed = status.State == InstanceState.Failed;
            slot.Error = status.Error;
        }
        return new ModelStatus(Model, directory, instances, _queued, instances.Sum(i => i.TokensPerSecond));
    }

    public async IAsyncEnumerable<GenerationUpdate> Generate(GenerateRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_directory is null) throw NotDeployed();
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

    // Least outstanding tokens among instances not known to have failed; the lowest index breaks ties.
    private InstanceSlot Route()
    {
        var healthy = _slots.Where(s => !s.Failed).ToList();
        if (healthy.Count == 0)
        {
            throw new InvalidOperationException($"model \"{Model}\" has no healthy instance (all {_slots.Count} failed to load: " +
                string.Join("; ", _slots.Select(s => $"{s.Shard}: {s.Error}")) + ")");
        }
        return healthy.MinBy(s => (s.OutstandingTokens, s.Index))!;
    }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} deployed: {Instances} instance(s) on {Gpus}")]
    private static partial void LogDeployed(ILogger logger, string model, int instances, string gpus);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unloading {Shard} failed")]
    private static partial void LogUnloadFailed(ILogger logger, string shard, Exception error);
}
