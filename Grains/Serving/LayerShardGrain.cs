using System.Diagnostics;
using System.Runtime.CompilerServices;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Grains.Placement;
using BlitzScale.Grains.Telemetry;
using BlitzScale.Native.Models;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Serving;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// One instance's layers on one GPU (TP=1: the whole instance). Loads the parameters from its host's model
/// files in the background, then serves through a continuous-batching <see cref="InstanceServer"/> whose
/// steps run on the GPU's execution loop. Reentrant: many generations stream at once.
/// </summary>
[GpuHostPlacement, Reentrant]
internal sealed partial class LayerShardGrain(
    GpuHostOptions host, GpuDevices devices, BlitzMetrics metrics, ILocalSiloDetails silo, ILogger<LayerShardGrain> logger)
    : Grain, ILayerShardGrain
{
    private InstanceState _state = InstanceState.Inactive;
    private string? _error;
    private string _gpu = "";
    private ShardLoadRequest? _request;
    private int _loadedLayers, _totalLayers;
    private Task? _loading;
    private LoadedInstance? _instance;
    private IDisposable? _tracking;
    private (long Tokens, long Ticks) _lastRate;
    private double _tokensPerSecond;

    private string Key => this.GetPrimaryKeyString();

    public async Task<InstanceStatus> Load(ShardLoadRequest request)
    {
        if (_state is InstanceState.Loading or InstanceState.Serving)
        {
            if (request == _request) return Status();
            throw new InvalidOperationException($"instance {Key} is already {_state} on {_gpu} from {_request!.ModelDirectory}; unload it first");
        }
        var (gpuHost, gpuIndex) = GrainKeys.ParseGpu(request.Gpu);
        if (gpuHost != host.Host)
            throw new InvalidOperationException($"instance {Key} was placed on host \"{host.Host}\" but asked to load onto {request.Gpu}");
        if (gpuIndex >= host.Gpus)
            throw new ArgumentException($"host \"{host.Host}\" has {host.Gpus} GPU(s): {request.Gpu} does not exist");

        var model = OpenModel(ResolveDirectory(request.ModelDirectory));
        try
        {
            int budget = request.MaxBatchTokens ?? BatchPolicy.DefaultMaxBatchTokens;
            // Every running sequence decodes each step, so a small token budget also caps the running count.
            var policy = new BatchPolicy { MaxBatchTokens = budget, MaxRunningSequences = Math.Min(BatchPolicy.DefaultMaxRunningSequences, budget) };
            var gpu = GrainFactory.GetGrain<IGpuGrain>(request.Gpu);
            var gpuStatus = await gpu.GetStatus();
            long free = gpuStatus.MemoryTotalBytes - gpuStatus.MemoryUsedBytes;
            long parameters = model.Layout.TotalBytes;
            int blocks = ShardSizing.KvBlocks(request.KvBlocks, model.Config, policy, free, parameters);
            long kvBytes = blocks * ShardSizing.BytesPerKvBlock(model.Config, policy.BlockSize);
            if (blocks < 1 || !await gpu.TryReserve(new GpuResident(Key, ModelName, parameters, kvBytes, 0, model.Config.NumLayers)))
            {
                throw new InvalidOperationException(
                    $"{request.Gpu} has {free:N0} bytes free; instance {Key} needs {parameters:N0} for parameters and " +
                    $"{Math.Max(kvBytes, ShardSizing.BytesPerKvBlock(model.Config, policy.BlockSize)):N0} for {Math.Max(blocks, 1)} KV blocks");
            }
            policy = policy with { KvBlocks = blocks };
            policy.Validate();

            _request = request;
            _gpu = request.Gpu;
            _state = InstanceState.Loading;
            _error = null;
            _loadedLayers = 0;
            _totalLayers = model.Config.NumLayers;
            // A loaded instance must not be collected while idle.
            DelayDeactivation(TimeSpan.FromDays(3650));
            _loading = LoadInBackground(model, policy, devices.Get(gpuIndex), gpu);
            LogLoading(logger, Key, request.Gpu, model.Path, parameters, blocks);
            return Status();
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public Task<InstanceStatus> GetStatus() => Task.FromResult(Status());

    public Task<string> GetSiloAddress() => Task.FromResult(silo.SiloAddress.ToString());

    public async IAsyncEnumerable<GenerationUpdate> Generate(GenerateRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var instance = await Serving();
        var sampling = new SamplingOptions(request.Temperature, request.TopP, request.TopK, request.Seed);
        sampling.Validate();
        if (request.MaxTokens < 0) throw new ArgumentOutOfRangeException(nameof(request), request.MaxTokens, "max tokens must be ≥ 0");
        int[] promptIds = request.PromptIds ?? instance.Tokenizer.Encode(request.Prompt);
        if (promptIds.Length == 0) throw new ArgumentException("the prompt has no tokens; it must start with BOS");
        if (promptIds.FirstOrDefault(id => (uint)id >= (uint)instance.Model.Config.VocabSize, -1) is var bad and not -1)
            throw new ArgumentException($"prompt token id {bad} is outside the vocabulary of {instance.Model.Config.VocabSize}");

        var serving = new ServingRequest(request.RequestId ?? Guid.NewGuid().ToString("N"), promptIds, request.MaxTokens, sampling, request.StopAtEos);
        yield return new GenerationUpdate { PromptIds = promptIds, Instance = Key };

        var decoder = new Native.Tokenization.StreamingDecoder(instance.Tokenizer);
        // The text continues the prompt: after a visible prompt token the first generated one keeps its leading space.
        foreach (int id in promptIds) decoder.Append(id);
        var tags = new TagList { { "model", ModelName }, { "instance", Key } };
        double previousMs = 0;
        await using var tokens = instance.Server.GenerateAsync(serving, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (await NextToken(tokens))
        {
            var token = tokens.Current;
            string text = token.TokenId >= 0 ? decoder.Append(token.TokenId) : "";
            if (token.TokenId >= 0)
            {
                metrics.Tokens.Add(1, tags);
                if (token.Index == 0) metrics.TimeToFirstToken.Record(token.ElapsedMs, tags);
                else metrics.TimeBetweenTokens.Record(token.ElapsedMs - previousMs, tags);
                previousMs = token.ElapsedMs;
            }
            string? finish = token.Finish?.ToString().ToLowerInvariant();
            if (finish is not null)
            {
                text += decoder.Flush();
                metrics.Requests.Add(1, new TagList { { "model", ModelName }, { "finish", finish } });
            }
            yield return new GenerationUpdate { TokenId = token.TokenId, Index = token.Index, Text = text, ElapsedMs = token.ElapsedMs, Finish = finish };
        }
    }

    public async Task Unload()
    {
        // A load still running would otherwise finish after this and leave a serving instance nobody disposes.
        if (_loading is { } loading) await loading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        var instance = _instance;
        _instance = null;
        _state = InstanceState.Inactive;
        _tracking?.Dispose();
        if (instance is not null) await instance.DisposeAsync();
        if (_gpu.Length > 0) await GrainFactory.GetGrain<IGpuGrain>(_gpu).Release(Key);
        _request = null;
        DeactivateOnIdle();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_loading is { } loading) await loading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        _tracking?.Dispose();
        if (_instance is not null) await _instance.DisposeAsync();
        _instance = null;
    }

    // The batcher's "can never fit" answer becomes an argument error the caller can read across the wire.
    private static async ValueTask<bool> NextToken(IAsyncEnumerator<ServedToken> tokens)
    {
        try
        {
            return await tokens.MoveNextAsync();
        }
        catch (RequestRejectedException e)
        {
            throw new ArgumentException(e.Message);
        }
    }

    private async Task<LoadedInstance> Serving()
    {
        if (_state == InstanceState.Loading && _loading is not null) await _loading;
        return _state == InstanceState.Serving && _instance is not null
            ? _instance
            : throw new InvalidOperationException($"instance {Key} is {_state}{(_error is null ? "" : ": " + _error)}");
    }

    private async Task LoadInBackground(ModelDirectory model, BatchPolicy policy, DeviceExecutor device, IGpuGrain gpu)
    {
        try
        {
            var instance = await Task.Run(() => LoadedInstance.Load(model, policy, device, layers => Volatile.Write(ref _loadedLayers, layers)));
            _instance = instance;
            _state = InstanceState.Serving;
            _tracking = metrics.TrackInstance(Key, () => (instance.Server.Stats.Waiting, instance.Server.Stats.KvBlocksUsed));
            await gpu.ReportLoaded(Key, _totalLayers);
            LogServing(logger, Key);
        }
        catch (Exception e)
        {
            model.Dispose();
            _state = InstanceState.Failed;
            _error = e.Message;
            await gpu.Release(Key);
            LogLoadFailed(logger, Key, e);
        }
    }

    private InstanceStatus Status()
    {
        var (_, instanceIndex, _) = GrainKeys.ParseShard(Key);
        var stats = _instance?.Server.Stats;
        return new InstanceStatus(instanceIndex, Key, _gpu, _state, Volatile.Read(ref _loadedLayers), _totalLayers,
            stats?.Waiting ?? 0, stats?.Running ?? 0, stats?.KvBlocksUsed ?? 0, stats?.KvBlocksTotal ?? 0,
            stats?.TokensGenerated ?? 0, Rate(stats?.TokensGenerated ?? 0), _error);
    }

    // Tokens/s between two status reads at least half a second apart.
    private double Rate(long tokens)
    {
        long now = Stopwatch.GetTimestamp();
        double seconds = Stopwatch.GetElapsedTime(_lastRate.Ticks, now).TotalSeconds;
        if (_lastRate.Ticks == 0 || seconds >= 0.5)
        {
            if (_lastRate.Ticks != 0) _tokensPerSecond = (tokens - _lastRate.Tokens) / seconds;
            _lastRate = (tokens, now);
        }
        return _tokensPerSecond;
    }

    // A bad model directory is a bad argument (IModelGrain.Deploy says so); Native's model-file exceptions also have
    // no Orleans codec, so only an ArgumentException carries their message (file, field, what was wrong) to the caller.
    private static ModelDirectory OpenModel(string directory)
    {
        try
        {
            return ModelDirectory.Open(directory);
        }
        catch (Exception e) when (e is Native.ModelFileException or DirectoryNotFoundException)
        {
            throw new ArgumentException(e.Message);
        }
    }

    private string ModelName => GrainKeys.ParseShard(Key).Model;

    private string ResolveDirectory(string directory) =>
        Path.IsPathRooted(directory) || host.ModelsDirectory is null ? directory : Path.Combine(host.ModelsDirectory, directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} loading onto {Gpu} from {Directory}: {ParameterBytes} parameter bytes, {KvBlocks} KV blocks")]
    private static partial void LogLoading(ILogger logger, string shard, string gpu, string directory, long parameterBytes, int kvBlocks);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} serving")]
    private static partial void LogServing(ILogger logger, string shard);

    [LoggerMessage(Level = LogLevel.Error, Message = "Instance {Shard} failed to load")]
    private static partial void LogLoadFailed(ILogger logger, string shard, Exception error);
}
