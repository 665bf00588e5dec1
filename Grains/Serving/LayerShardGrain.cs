using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using BlitzScale.Grains.DataPlane;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Grains.Placement;
using BlitzScale.Grains.Serving.Live;
using BlitzScale.Grains.Telemetry;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Serving;
using BlitzScale.Native.Tokenization;
using BlitzScale.Scaling.Live;
using BlitzScale.Scaling.Serving;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using BlitzScale.Grains.Interfaces.Keys;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// One instance's layers on one GPU (TP=1: the whole instance). Fills its parameters from the feeds the model grain
/// planned (peer GPUs, a host copy, or its host's model files) in the background, serving what has landed to the next
/// node of its chain meanwhile; then serves through a continuous-batching <see cref="InstanceServer"/> whose steps run
/// on the GPU's execution loop. Scaled down, it turns Warm: parameters kept, revivable at once, evictable.
/// Paired for live scaling (<see cref="PairLive"/>), a loading shard serves with the layers it has through a
/// <see cref="LiveServer"/>, and a serving one runs the tails of its partner's split requests; so does a loading one whose
/// layers land last first (LiveTail), on the layers it has, through the <see cref="InstanceServer"/> it keeps once loaded.
/// Reentrant: many generations stream at once.
/// </summary>
[GpuHostPlacement, Reentrant]
internal sealed partial class LayerShardGrain(
    GpuHostOptions host, GpuDevices devices, HostDataPlane dataPlane, TokenizerCache tokenizers, BlitzMetrics metrics, ILocalSiloDetails silo,
    ILogger<LayerShardGrain> logger)
    : Grain, ILayerShardGrain
{
    // Facts about this shard's parameters; the instance's lifecycle (Serving, Warm, …) is the model grain's state machine.
    private ShardPhase _phase = ShardPhase.Empty;
    private string? _error;
    private string _gpu = "";
    private ShardLoadRequest? _request;
    private int _loadedLayers, _loadedTailLayers, _totalLayers;
    private Task? _loading;
    private ShardLoad? _load;
    private Func<Task>? _begin;
    private ModelDirectory? _openFiles;
    private LoadedInstance? _instance;
    private IDisposable? _tracking;
    private IDisposable? _loadTracking;
    private (long Tokens, long Ticks) _lastRate;
    private BatchPolicy? _policy;
    private int _gpuIndex;
    // Live scaling, LiveNew side: the engine over the filling image, its KV blocks and the server using them until the load completes.
    private LiveServer? _live;
    // Live scaling, LiveTail side (its layers landing last first): the server running its partner's tails on the live engine,
    // which becomes the instance's server when the load completes.
    private InstanceServer? _tail;
    // LiveNew: the last layer its requests run here before they are handed over while it loads (beside a LiveTail, the split
    // the pair chose; else every layer but the last).
    private int _liveCap;
    // What the last live server did with its requests (its ledger), kept once it has ended.
    private string? _liveServed;
    private ILayerEngine? _liveEngine;
    private KvBlockAllocator? _liveBlocks;
    private TextTokenizer? _tokenizer;
    private double _tokensPerSecond;
    // The load failed with a source lost and the image, its files and the GPU memory were kept for Refeed.
    private bool _keptForRefeed;
    // The source whose loss failed the load whose image is kept for Refeed, as the plan named it.
    private string? _lostSource;
    // Loads this activation began (the first, then one per Refeed): events and reports say which one they are about.
    private int _loads;
    // Generate streams begun and not yet let go of by their callers.
    private int _openStreams;
    // The open streams by request id: how far each got where it meets the runtime (StreamProgress).
    private readonly ConcurrentDictionary<string, StreamTally> _streams = new(StringComparer.Ordinal);
    // Where the whole image can come from without the plan's sources, in order, each used once if a lost source is not planned
    // again in time.
    private readonly Queue<IReadOnlyList<LoadFeed>> _fallbacks = new();
    // The load now running is the fallback's, begun by this shard: a late Refeed from the model grain finds it under way.
    private bool _fellBack;
    // The load now running is a fallback's (until the model grain plans one): when it fails, the next fallback follows.
    private bool _onFallback;

    private string Key => this.GetPrimaryKeyString();

    public async Task<InstanceStatus> Load(ShardLoadRequest request)
    {
        if (_phase is ShardPhase.Loading or ShardPhase.Loaded)
        {
            if (request == _request) return Status();
            throw new InvalidOperationException($"instance {Key} is already {_phase} on {_gpu} from {_request!.ModelDirectory}; unload it first");
        }
        if (_keptForRefeed)
        {
            // A new load replaces the image kept after a lost source.
            _keptForRefeed = false;
            await Release();
            await GrainFactory.GetGrain<IGpuGrain>(_gpu).Release(Key);
        }
        var (gpuHost, gpuIndex) = GpuKey.Parse(request.Gpu);
        if (gpuHost != host.Host)
            throw new InvalidOperationException($"instance {Key} was placed on host \"{host.Host}\" but asked to load onto {request.Gpu}");
        if (gpuIndex >= host.Gpus)
            throw new ArgumentException($"host \"{host.Host}\" has {host.Gpus} GPU(s): {request.Gpu} does not exist");

        var steps = new StepTimes();
        var gpu = GrainFactory.GetGrain<IGpuGrain>(request.Gpu);
        // The files are parsed and the tokenizer read off the grain's scheduler (tens to hundreds of ms on a busy host: a
        // turn that long stalls every grain of the silo), while the GPU says what it has free.
        var opening = Task.Run(() => OpenWithTokenizer(request.ModelDirectory));
        var asked = gpu.GetStatus();
        ModelDirectory model;
        TextTokenizer tokenizer;
        try
        {
            (model, tokenizer) = await opening;
        }
        catch
        {
            await ((Task)asked).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            throw;
        }
        steps.Lap("open files and tokenizer");
        ParameterImage? image = null;
        try
        {
            _tokenizer = tokenizer;
            var feeds = request.Feeds is { Count: > 0 } given ? given : ImageFill.FromStorage(model.Layout);
            var policy = BatchPolicy.ForBudget(request.MaxBatchTokens);
            var gpuStatus = await asked;
            steps.Lap("gpu status");
            long free = gpuStatus.FreeBytes;
            long parameters = model.Layout.TotalBytes;
            int blocks = ShardSizing.KvBlocks(request.KvBlocks, model.Config, policy, free, parameters);
            long kvBytes = blocks * KvStoreShape.BytesPerBlock(model.Config, policy.BlockSize);
            var reservation = blocks < 1 ? new Reservation(false, []) : await gpu.TryReserve(new GpuResident(Key, ModelName, parameters, kvBytes, 0, model.Config.NumLayers));
            if (!reservation.Reserved)
            {
                throw new InvalidOperationException(
                    $"{request.Gpu} has {free:N0} bytes free; instance {Key} needs {parameters:N0} for parameters and " +
                    $"{Math.Max(kvBytes, KvStoreShape.BytesPerBlock(model.Config, policy.BlockSize)):N0} for {Math.Max(blocks, 1)} KV blocks");
            }
            foreach (string evicted in reservation.Evicted)
            {
                LogEvicting(logger, evicted, request.Gpu, Key);
                await HostContext.On(host.Host, async () => { await GrainFactory.GetGrain<ILayerShardGrain>(evicted).Evict(); return 0; });
            }
            steps.Lap("reserve");
            policy = policy with { KvBlocks = blocks };
            policy.Validate();
            _policy = policy;
            _gpuIndex = gpuIndex;

            image = ParameterImage.Allocate(model.Layout);
            steps.Lap("allocate image");
            _request = request;
            _fallbacks.Clear();
            foreach (var fallback in request.Fallbacks ?? []) if (fallback.Count > 0) _fallbacks.Enqueue(fallback);
            _fellBack = false;
            _onFallback = false;
            _gpu = request.Gpu;
            _phase = ShardPhase.Loading;
            _error = null;
            _totalLayers = model.Config.NumLayers;
            _loadedLayers = 0;
            _loadedTailLayers = 0;
            string modelName = ModelName;
            _load = new ShardLoad(Key, feeds, image, model.Layout.TotalBytes, (feed, bytes) => metrics.Grid.Landed(modelName, feed, bytes));
            _loadTracking?.Dispose();
            _loadTracking = metrics.Grid.TrackLoading(Key, modelName, () => Volatile.Read(ref _loadedLayers));
            // A loaded instance must not be collected while idle.
            DelayDeactivation(TimeSpan.FromDays(3650));
            // Registered before the first byte lands: the next node of a chain may already be asking for it.
            dataPlane.Register(Key, _load.Sink);
            var load = _load;
            _openFiles = model;
            _begin = () => LoadInBackground(model, load, policy, gpuIndex, gpu);
            steps.Lap("register");
            if (!request.Deferred) await Begin();
            LogLoading(logger, Key, request.Gpu, _load.Describe(), parameters, blocks);
            LogLoadCall(logger, Key, steps.TotalMs, steps.ToString());
            foreach (var feed in feeds.Where(f => f.Transport is not null)) LogTransport(logger, Key, feed.From, feed.Transport!);
            return Status();
        }
        catch
        {
            image?.Dispose();
            model.Dispose();
            throw;
        }
    }

    // Read before any byte is fetched: a bad tokenizer fails the load call, not the load after the weights landed.
    private (ModelDirectory Model, TextTokenizer Tokenizer) OpenWithTokenizer(string directory)
    {
        var model = ModelFiles.Open(host, directory);
        try
        {
            return (model, tokenizers.Get(model));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public async Task<bool> Refeed(IReadOnlyList<LoadFeed> feeds)
    {
        if (_phase == ShardPhase.Loading && _fellBack)
        {
            // Planned again after this shard's grace: what the plan would fetch is already coming from the fallback.
            _fellBack = false;
            return true;
        }
        bool refed = await RefeedFrom(feeds);
        if (refed) _onFallback = false;
        return refed;
    }

    private async Task<bool> RefeedFrom(IReadOnlyList<LoadFeed> feeds)
    {
        if (_phase != ShardPhase.Failed || !_keptForRefeed || _load is not { } failed || _openFiles is not { } model || _policy is not { } policy)
            return false;
        _keptForRefeed = false;
        // Peers reading the failed load's sink are cut first: the new sink takes its place under the same id.
        await dataPlane.RetireAsync(Key);
        string modelName = ModelName;
        // What landed and verified is kept, to the chunk: whole blobs and the verified start of a blob the lost source was sending.
        var kept = failed.Sink.LandedPrefixes();
        var load = new ShardLoad(Key, ImageFill.Missing(feeds, failed.Image, kept), failed.Image, failed.TotalBytes,
            (feed, bytes) => metrics.Grid.Landed(modelName, feed, bytes), kept);
        _load = load;
        _phase = ShardPhase.Loading;
        _error = null;
        _loadTracking?.Dispose();
        _loadTracking = metrics.Grid.TrackLoading(Key, modelName, () => Volatile.Read(ref _loadedLayers));
        dataPlane.Register(Key, load.Sink);
        load.Start();
        _loading = LoadInBackground(model, load, policy, _gpuIndex, GrainFactory.GetGrain<IGpuGrain>(_gpu));
        LogRefeeding(logger, Key, _gpu, load.Describe(), load.LoadedBytes);
        return true;
    }

    public Task Begin()
    {
        if (_begin is { } begin)
        {
            _begin = null;
            _load!.Start();
            _loading = begin();
        }
        return Task.CompletedTask;
    }

    public async Task<InstanceStatus> SetWarm()
    {
        if (_phase == ShardPhase.Loading && _loading is not null) await _loading;
        if (_phase != ShardPhase.Loaded) return Status();
        await GrainFactory.GetGrain<IGpuGrain>(_gpu).SetWarm(Key, true);
        await PublishState(ModelEventKind.Warm, "stopped taking requests; parameters kept");
        LogWarm(logger, Key);
        return Status();
    }

    public async Task<bool> Revive()
    {
        if (_phase != ShardPhase.Loaded || _instance is null) return false;
        await GrainFactory.GetGrain<IGpuGrain>(_gpu).SetWarm(Key, false);
        await PublishState(ModelEventKind.Revived, "serving again from the kept parameters");
        return true;
    }

    public Task<InstanceStatus> GetStatus() => Task.FromResult(Status());

    public Task<string> GetSiloAddress() => Task.FromResult(silo.SiloAddress.ToString());

    public async IAsyncEnumerable<GenerationUpdate> Generate(GenerateRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        bool emulated = ComputeBackends.IsEmulated(host.Backend);
        IAsyncEnumerable<GenerationUpdate> updates;
        if (_phase == ShardPhase.Loading && _live is { } live)
        {
            var servable = new Servable(_tokenizer!, _liveEngine!.Config, (serving, ct) => LiveOrFull(live, serving, ct));
            updates = ShardGeneration.Run(servable, request, Key, ModelName, emulated, metrics.Serving, cancellationToken);
        }
        else
        {
            var instance = await Serving();
            updates = ShardGeneration.Run(Servable.Of(instance), request, Key, ModelName, emulated, metrics.Serving, cancellationToken);
        }
        // Counted until the caller lets go of the stream: a draining instance with open tickets and no open stream holds
        // tickets nobody will hand back (ModelGrain.DrainDeadline).
        Interlocked.Increment(ref _openStreams);
        var tally = new StreamTally(TimeProvider.System);
        var open = request.RequestId is { } id && _streams.TryAdd(id, tally) ? tally : null;
        try
        {
            await foreach (var update in updates.WithCancellation(cancellationToken))
            {
                open?.HandedOut();
                yield return update;
                // The runtime asked for the next update: its caller did, or the batch it fills goes on.
                open?.Asked();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _openStreams);
            if (open is not null) _streams.TryRemove(new KeyValuePair<string, StreamTally>(request.RequestId!, open));
        }
    }

    public Task<StreamPosition?> StreamProgress(string requestId) =>
        Task.FromResult(_streams.TryGetValue(requestId, out var open) ? open.Position : null);

    public async Task PairLive(LivePairing pairing)
    {
        ArgumentNullException.ThrowIfNull(pairing);
        if (pairing.Role == LiveRole.Old)
        {
            if (_phase != ShardPhase.Loaded || _instance is null)
                throw new InvalidOperationException($"instance {Key} is {_phase}; only a loaded instance pairs as LiveOld");
            var partner = GrainFactory.GetGrain<ILayerShardGrain>(pairing.PartnerShard);
            _splitTimes.Start();
            _instance.Server.PairWith(pairing.PartnerShard, () => HostContext.On(pairing.PartnerHost, () => partner.PullLive(0, Key)),
                (request, ct) => PartnerRelay.Generate(partner, pairing.PartnerShard, pairing.PartnerHost, request, ct));
            LogPaired(logger, Key, pairing.Role, pairing.PartnerShard);
            return;
        }
        if (pairing.Role == LiveRole.Tail)
        {
            await PairAsTail(pairing);
            return;
        }
        if (_live is { } running)
        {
            // Already serving live, this LiveNew goes on beside another partner: a LiveTail it now covers the model with (loads
            // in complementary orders), or a busy instance again after its LiveTail left. New pulls come from it, split at most
            // at its cap; what the one before pulled finishes there.
            if (running.IsCurrentPartner(pairing.PartnerShard)) return;
            var next = new GrainLivePartner(GrainFactory, dataPlane, Key, pairing, logger);
            _ = next.PrepareAsync();
            // Never below the layers its requests may already have run: landed layers only grow for its scheduler.
            int usable = _load is { } load ? Math.Min(load.Image.LoadedLayerPrefix, Volatile.Read(ref _liveCap)) : 0;
            int cap = pairing.SplitCap > 0 ? pairing.SplitCap : _totalLayers - 1;
            Volatile.Write(ref _liveCap, ComplementarySplit.AtSwitch(cap, usable));
            running.SwitchTo(next);
            LogPaired(logger, Key, pairing.Role, pairing.PartnerShard);
            return;
        }
        if (_phase != ShardPhase.Loading || _load is null || _openFiles is null || _policy is null)
            throw new InvalidOperationException($"instance {Key} is {_phase}; only a loading instance pairs as LiveNew");
        var image = _load.Image;
        var policy = _policy;
        int eos = _openFiles.Generation.EosTokenId;
        var liveOld = new GrainLivePartner(GrainFactory, dataPlane, Key, pairing, logger);
        // Not awaited: the pair forms now, and its first split step finds the connection open.
        _ = liveOld.PrepareAsync();
        int layers = _totalLayers;
        // Beside a LiveTail, requests run here up to the split the pair chose and no further while loading; their keys and
        // values never move (the partner lacks the first layers).
        _liveCap = pairing.SplitCap > 0 ? pairing.SplitCap : layers - 1;
        // The last layer runs here only once the head has landed too: a request that ran it must be sampled at once.
        SplitMoves.TryParse(host.LiveMove, out var move);
        if (pairing.SplitCap > 0) move = SplitMove.Never;
        _live = await StartLiveServing(image, policy, (engine, device, blocks) => new LiveServer(engine, policy, device, eos, blocks,
            new ZigZagOptions { Move = move }, TimeProvider.System, liveOld,
            () => image.IsComplete ? layers : Math.Min(image.LoadedLayerPrefix, Volatile.Read(ref _liveCap))));
        LogPaired(logger, Key, pairing.Role, pairing.PartnerShard);
    }

    /// <summary>
    /// LiveTail: a server over the live engine, whose layers land last first, runs the tails its LiveNew partner hands over from
    /// the first layer landed with the head on (the pull asks for none below it); it becomes the instance's server once loaded.
    /// </summary>
    private async Task PairAsTail(LivePairing pairing)
    {
        if (_phase != ShardPhase.Loading || _load is null || _openFiles is null || _policy is null || _live is not null)
            throw new InvalidOperationException($"instance {Key} is {_phase}{(_live is null ? "" : " and LiveNew")}; only a loading instance pairs as LiveTail");
        var image = _load.Image;
        var policy = _policy;
        int eos = _openFiles.Generation.EosTokenId;
        // Paired again (its last partner finished first or left), it keeps its server and the tails it still holds.
        _tail ??= await StartLiveServing(image, policy,
            (engine, device, blocks) => new InstanceServer(engine, policy, device, eos, blocks, tailFrom: () => image.LoadedLayerSuffix));
        var partner = GrainFactory.GetGrain<ILayerShardGrain>(pairing.PartnerShard);
        _splitTimes.Start();
        _tail.PairWith(pairing.PartnerShard, () => HostContext.On(pairing.PartnerHost, () => partner.PullLive(image.LoadedLayerSuffix, Key)), handOff: null);
        LogPaired(logger, Key, pairing.Role, pairing.PartnerShard);
    }

    /// <summary>
    /// The server a loading shard serves live with (a LiveNew's, or a LiveTail's): <paramref name="serve"/> makes it over an engine
    /// on the image being filled, made on the device's thread (a cuda context is current there), and KV blocks of its own, which
    /// the full server shares once the load completes. The engine is disposed if the server cannot be made.
    /// </summary>
    private async Task<T> StartLiveServing<T>(ParameterImage image, BatchPolicy policy, Func<ILayerEngine, DeviceExecutor, KvBlockAllocator, T> serve)
    {
        var device = devices.Get(_gpuIndex);
        int gpuIndex = _gpuIndex;
        var engine = await device.RunAsync(() => ComputeBackends.CreateFilling(host, gpuIndex, image, new KvStoreShape(policy.KvBlocks, policy.BlockSize)));
        try
        {
            var blocks = new KvBlockAllocator(policy.KvBlocks, policy.BlockSize);
            var server = serve(engine, device, blocks);
            _liveBlocks = blocks;
            _liveEngine = engine;
            return server;
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    // The server that runs a LiveOld's or LiveTail's split tails: the instance's once loaded, the LiveTail's before.
    private InstanceServer? TailServer => _instance?.Server ?? _tail;

    public Task EndLive()
    {
        if (TailServer is not { } server) return Task.CompletedTask;
        server.EndPair();
        LogPulls(logger, Key, server.Pulls.Describe());
        return Task.CompletedTask;
    }

    public Task FinishLive(int openHere, int openOnPartner)
    {
        if (TailServer is not { } server) return Task.CompletedTask;
        server.EndPair(openHere, openOnPartner);
        LogPulls(logger, Key, server.Pulls.Describe());
        return Task.CompletedTask;
    }

    public Task PartnerGone(string partner)
    {
        ArgumentException.ThrowIfNullOrEmpty(partner);
        if (TailServer is not { } server) return Task.CompletedTask;
        int ended = server.PartnerGone(partner, new InstanceLostException(partner, "it left its live pair before its load completed"));
        LogPartnerGone(logger, Key, partner, ended);
        return Task.CompletedTask;
    }

    public Task<LivePull?> PullLive(int fromLayer, string puller) => Task.FromResult(_live?.HandOver(fromLayer, puller));

    public Task OfferLive(int blocked)
    {
        TailServer?.Offered(blocked);
        return Task.CompletedTask;
    }

    public async Task<int> RunSplit(SplitStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (!(_phase == ShardPhase.Loaded || _phase == ShardPhase.Loading && _tail is not null) || TailServer is not { } server)
            throw new InvalidOperationException($"instance {Key} is {_phase}: it cannot run layers [{step.FirstLayer}, {_totalLayers}) of request {step.RequestId}");
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        // Pushed states are usually here before the call; published ones (the partner could not push) are fetched.
        // A moved request's step has none: it carries its token.
        var hidden = step.Activation is { } activation ? await dataPlane.FetchActivationAsync(activation, CancellationToken.None) : null;
        double fetch = SplitStepTimes.Since(start);
        var work = new SplitWork(step.RequestId, step.Start, step.Count, step.FirstLayer, hidden,
            new SamplingOptions(step.Temperature, step.TopP, step.TopK, step.Seed), step.Positions, step.Partner, step.TokenId);
        long queued = System.Diagnostics.Stopwatch.GetTimestamp();
        int token = await server.RunSplitAsync(work);
        if (_splitTimes.Add(fetch, SplitStepTimes.Since(queued)) is { } report)
            LogSplitSteps(logger, Key, report.Steps, report.Means[0], report.Means[1], report.JitMilliseconds);
        return token;
    }

    // LiveOld: fetching a split step's hidden states, and its wait for and run in this instance's next step.
    private readonly SplitStepTimes _splitTimes = new(2);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} (LiveOld): last {Steps} split steps, mean ms: get the hidden states (pushed or fetched) {Fetch:F2}, wait for and run the step {Step:F2}; this process compiled methods (JIT) for {Jit:F0} ms meanwhile")]
    private static partial void LogSplitSteps(ILogger logger, string shard, int steps, double fetch, double step, double jit);

    public async Task MoveSplitKv(SplitKv kv)
    {
        ArgumentNullException.ThrowIfNull(kv);
        if (_phase != ShardPhase.Loaded || _instance is not { } instance)
            throw new InvalidOperationException($"instance {Key} is {_phase}: it cannot take over request {kv.RequestId}");
        var rows = await dataPlane.FetchActivationAsync(kv.Activation, CancellationToken.None);
        await instance.Server.TakeOverSplitAsync(kv.RequestId, new KvSlice(kv.Positions, 0, kv.SplitLayer), rows);
    }

    public Task<string> ActivationAddress() => Task.FromResult(dataPlane.Address);

    public Task EndSplit(string requestId)
    {
        TailServer?.EndSplit(requestId);
        return Task.CompletedTask;
    }

    // A live request goes to the live server; if the load completed meanwhile (it is closed), to the full one.
    private async IAsyncEnumerable<ServedToken> LiveOrFull(LiveServer live, ServingRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var tokens = live.GenerateAsync(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
        bool any;
        try
        {
            any = await tokens.MoveNextAsync();
        }
        catch (LiveServerClosedException)
        {
            await tokens.DisposeAsync();
            tokens = null;
            any = false;
        }
        if (tokens is null)
        {
            var instance = await Serving();
            await foreach (var token in instance.Server.GenerateAsync(request, cancellationToken)) yield return token;
            yield break;
        }
        try
        {
            if (!any) yield break;
            yield return tokens.Current;
            while (await tokens.MoveNextAsync()) yield return tokens.Current;
        }
        finally
        {
            await tokens.DisposeAsync();
        }
    }

    public async Task Unload()
    {
        _begin = null;
        // A load still running would otherwise finish after this and leave a serving instance nobody disposes.
        _load?.Cancel();
        if (_loading is { } loading) await loading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        _phase = ShardPhase.Empty;
        _keptForRefeed = false;
        await Release();
        if (_gpu.Length > 0) await GrainFactory.GetGrain<IGpuGrain>(_gpu).Release(Key);
        _request = null;
        DeactivateOnIdle();
    }

    public async Task Evict()
    {
        bool held = _phase == ShardPhase.Loaded;
        await Unload();
        if (held) await ReportState(ModelEventKind.Evicted, "unloaded: its GPU memory was needed");
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _load?.Cancel();
        if (_loading is { } loading) await loading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        await Release();
    }

    /// <summary>Stops serving the parameters to peers, then frees them: nothing may read freed memory.</summary>
    private async Task Release()
    {
        _tracking?.Dispose();
        _tracking = null;
        _loadTracking?.Dispose();
        _loadTracking = null;
        var instance = _instance;
        _instance = null;
        if (_live is { } live)
        {
            _live = null;
            await live.DisposeAsync();
        }
        if (_tail is { } tail)
        {
            _tail = null;
            await tail.DisposeAsync();
        }
        if (instance is null) _liveEngine?.Dispose();
        _liveEngine = null;
        _liveBlocks = null;
        var load = _load;
        if (load is not null) await dataPlane.RetireAsync(Key);
        if (instance is not null) await instance.DisposeAsync();
        else load?.Image.Dispose();
        _openFiles?.Dispose();
        _openFiles = null;
    }

    // The instance a request was routed to. One that holds no parameters is lost to the request, not a fault of it: its silo
    // was killed and the shard activated again empty, or it failed or was unloaded after the route; the caller resumes elsewhere.
    private async Task<LoadedInstance> Serving()
    {
        if (_phase == ShardPhase.Loading && _loading is not null) await _loading;
        return _phase == ShardPhase.Loaded && _instance is not null
            ? _instance
            : throw new InstanceLostException(Key, $"it holds no parameters ({_phase}){(_error is null ? "" : ": " + _error)}");
    }

    private async Task LoadInBackground(ModelDirectory model, ShardLoad load, BatchPolicy policy, int gpuIndex, IGpuGrain gpu)
    {
        int loadNumber = ++_loads;
        var pump = PumpEvents(load);
        try
        {
            await Task.Run(() => load.RunAsync(model, dataPlane, host.StorageMBps));
            await pump;
            var device = devices.Get(gpuIndex);
            // Made on the device's own thread: a cuda engine's context is current there, where every step runs.
            // Paired live, the engine exists already and its KV blocks are shared with the live server's requests.
            var engine = _liveEngine
                ?? await device.RunAsync(() => ComputeBackends.Create(host, gpuIndex, load.Image, new KvStoreShape(policy.KvBlocks, policy.BlockSize)));
            // A live engine on cuda uploads the blobs that landed since its last step; the full server needs every one now.
            if (_liveEngine is { } filling) await device.RunAsync(() => ComputeBackends.CatchUp(filling));
            // A LiveTail's server goes on as the instance's: the tails it runs keep their keys and values and their steps.
            var tail = _tail;
            var instance = await LoadedInstance.StartAsync(model, load.Image, policy, device, engine, _liveBlocks, _tokenizer, tail);
            _openFiles = null;
            _instance = instance;
            if (tail is not null)
            {
                // The instance owns the engine and the server now.
                _tail = null;
                _liveEngine = null;
            }
            _phase = ShardPhase.Loaded;
            if (_live is { } live)
            {
                // New requests go to the full server from now on; the live ones finish where they are.
                _liveEngine = null;
                live.Close();
                _ = DisposeWhenIdle(live);
            }
            _loadTracking?.Dispose();
            _loadTracking = null;
            _tracking = metrics.Serving.TrackInstance(Key, ModelName, () => instance.Server.Stats);
            metrics.Grid.Loaded(ModelName, load.Seconds);
            await gpu.ReportLoaded(Key, _totalLayers);
            // After the load's layer events, which are published in the background.
            ModelEvents.ReportInOrder(this, StateEvent(ModelEventKind.Serving, $"loaded {load.LoadedBytes:N0} bytes in {load.Seconds:0.000} s from {load.Describe()}"));
            LogServing(logger, Key, load.Seconds, load.Describe());
        }
        catch (Exception e)
        {
            await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            _error = e.Message;
            if (_phase == ShardPhase.Empty) return;
            _phase = ShardPhase.Failed;
            // A lost source leaves what landed and verified good: kept (image, files, GPU memory) for the model grain's Refeed,
            // a live pair's new half too, once its live side has ended. Anything else frees it all.
            // A fallback's source failing in any way (a GPU that stopped holding the model, say) is as good as lost while another
            // fallback remains: what landed is kept for it.
            var failedFeed = e as FeedFailedException;
            bool lost = failedFeed is { SourceLost: true } || failedFeed is not null && _onFallback && _fallbacks.Count > 0;
            _keptForRefeed = lost;
            _lostSource = lost ? failedFeed!.Feed.From : null;
            if (_keptForRefeed)
            {
                await EndLiveServing();
            }
            else
            {
                await Release();
                await gpu.Release(Key);
            }
            // Told at once, published after the load's earlier events without waiting: the fallback below must not wait for a
            // dead silo's stream queue.
            ModelEvents.ReportInOrder(this, StateEvent(ModelEventKind.Failed, e.Message) with
            {
                LostSource = _lostSource,
                Load = loadNumber,
            });
            LogLoadFailed(logger, Key, e);
            if (_keptForRefeed && _lostSource is { } lostFrom && NextFallback(HostOf(lostFrom)) is { } fallback)
                _ = FallBackUnlessPlanned(loadNumber, lostFrom, fallback);
        }
    }

    // The first fallback left that takes nothing from the lost source's host; those before it do, and are dropped.
    private IReadOnlyList<LoadFeed>? NextFallback(string? lostHost)
    {
        while (_fallbacks.TryDequeue(out var fallback))
        {
            if (!FeedsFrom(fallback, lostHost)) return fallback;
        }
        return null;
    }

    /// <summary>
    /// After <see cref="FallbackWait.Grace"/>, or as soon as the model grain cannot be reached, a load still failed (the model
    /// grain did not plan it again: it died with the source, or its report is on its way to a dead activation) fetches what it
    /// lacks from the fallback, and the model grain is told.
    /// </summary>
    private async Task FallBackUnlessPlanned(int failedLoad, string lost, IReadOnlyList<LoadFeed> fallback)
    {
        var modelGrain = GrainFactory.GetGrain<IModelGrain>(ModelName);
        string? unreachable = await FallbackWait.WaitUnlessUnreachable(modelGrain.Reachable, Task.Delay(FallbackWait.Grace));
        if (_loads != failedLoad || _phase != ShardPhase.Failed || !_keptForRefeed) return;
        if (!await RefeedFrom(fallback)) return;
        _fellBack = true;
        _onFallback = true;
        string why = unreachable is null
            ? $"not planned again within {FallbackWait.Grace.TotalMilliseconds:0} ms of losing {lost}"
            : $"lost {lost}, and the model grain that would plan the load again cannot be reached ({unreachable})";
        LogFellBack(logger, Key, why, _load!.Describe());
        // After the load's Failed event, which is published in the background.
        ModelEvents.ReportInOrder(this, StateEvent(ModelEventKind.Refeeding, $"{why}: fetching what it lacks from {_load.Describe()}") with
        {
            LostSource = lost,
            Load = _loads,
        });
    }

    private static string? HostOf(string source) => FeedPlanning.SourceHost(source);

    private static bool FeedsFrom(IReadOnlyList<LoadFeed> feeds, string? host) => host is not null && feeds.Any(f => HostOf(f.From) == host);

    /// <summary>
    /// LiveNew whose load failed: the live server is disposed (its requests end as lost, and their callers resume them on
    /// another instance; split ones end at the partner too), then the live engine, which owns its KV store and never the
    /// host image (a cuda engine holds its own device copy of it). The image, the files and the GPU memory stay for the refeed, whose
    /// load makes a new engine when it completes, or a new live server if the instance is paired again.
    /// </summary>
    private async Task EndLiveServing()
    {
        if (_live is { } live)
        {
            _live = null;
            _liveServed = live.Ledger.Describe();
            LogLiveLedger(logger, Key, "its pair ended before its load", _liveServed);
            // Stops the serving loop after its step on the device: the engine is not in use once this returns.
            await live.DisposeAsync();
        }
        if (_tail is { } tail)
        {
            // Its split tails end as lost here; the LiveNew's requests resume elsewhere.
            _tail = null;
            LogPulls(logger, Key, tail.Pulls.Describe());
            await tail.DisposeAsync();
        }
        _liveEngine?.Dispose();
        _liveEngine = null;
        _liveBlocks = null;
    }

    private async Task DisposeWhenIdle(LiveServer live)
    {
        await live.Idle;
        _liveServed = live.Ledger.Describe();
        LogLiveLedger(logger, Key, "loaded; its last live request has ended", _liveServed);
        if (ReferenceEquals(_live, live)) _live = null;
        await live.DisposeAsync();
    }

    /// <summary>Publishes layer-ready events as blobs land and byte progress a few times a second, on the grain's scheduler.</summary>
    private async Task PumpEvents(ShardLoad load)
    {
        await foreach (var progress in load.Progress())
        {
            Volatile.Write(ref _loadedLayers, progress.LoadedLayers);
            Volatile.Write(ref _loadedTailLayers, progress.LoadedTailLayers);
            if (progress.LayerLanded) _live?.LayersLanded();
            var landed = new ModelEvent
            {
                Kind = progress.LayerLanded ? ModelEventKind.LayerReady : ModelEventKind.TransferProgress,
                Model = ModelName, Shard = Key, Gpu = _gpu,
                LoadedLayers = progress.LoadedLayers, TotalLayers = _totalLayers, LoadedTailLayers = progress.LoadedTailLayers,
                Bytes = progress.Bytes, TotalBytes = load.TotalBytes, ElapsedMs = progress.ElapsedMs,
            };
            // A landed layer is the model grain's to act on (it pairs a live instance on its first); byte progress is for watchers.
            // Neither waits for the stream: a publication held by a dead silo's queue would hold the load's failure handling,
            // which waits for this loop.
            if (progress.LayerLanded) ModelEvents.ReportInOrder(this, landed);
            else ModelEvents.PublishInOrder(this, landed);
        }
    }

    private Task PublishState(ModelEventKind kind, string detail) => ModelEvents.Publish(this, StateEvent(kind, detail));

    private Task ReportState(ModelEventKind kind, string detail) => ModelEvents.Report(this, StateEvent(kind, detail));

    private ModelEvent StateEvent(ModelEventKind kind, string detail) => new()
    {
        Kind = kind, Model = ModelName, Shard = Key, Gpu = _gpu,
        LoadedLayers = Volatile.Read(ref _loadedLayers), TotalLayers = _totalLayers,
        Bytes = _load?.LoadedBytes ?? 0, TotalBytes = _load?.TotalBytes ?? 0, ElapsedMs = (_load?.Seconds ?? 0) * 1000, Detail = detail,
    };

    private InstanceStatus Status()
    {
        var stats = _instance?.Server.Stats ?? _live?.Stats ?? _tail?.Stats;
        return new InstanceStatus(ShardKey.Parse(Key).Instance, Key, _gpu, ReportedState(), Volatile.Read(ref _loadedLayers), _totalLayers,
            stats?.Waiting ?? 0, stats?.Running ?? 0, stats?.KvBlocksUsed ?? 0, stats?.KvBlocksTotal ?? _policy?.KvBlocks ?? 0,
            stats?.TokensGenerated ?? 0, Rate(stats?.TokensGenerated ?? 0), _error,
            _load?.Seconds ?? 0, _load?.Describe(), _load?.LoadedBytes ?? 0,
            stats?.QueuedPrefillTokens ?? 0, stats?.RunningDecodeTokens ?? 0, stats?.PrefilledTokens ?? 0, stats?.PrefillSeconds ?? 0,
            stats?.RecentTtftMs ?? 0, stats?.RecentTbtMs ?? 0, _load?.FetchedBytes ?? 0, TailServer?.Partner, TailServer?.SplitRequests ?? 0,
            _load?.KeptBytes ?? 0, _keptForRefeed ? _lostSource : null, _loads,
            _phase is ShardPhase.Loading or ShardPhase.Failed ? [.. _fallbacks.Select(f => string.Join(" + ", SourcesOf(f)))] : [],
            _phase == ShardPhase.Loading && _load is { } load ? [.. SourcesOf(load.Feeds)] : [], Volatile.Read(ref _openStreams), _load?.LandedAt,
            _instance?.RatedPrefillTokensPerSecond ?? 0, _live?.Ledger.Describe() ?? _liveServed, stats?.StepSeconds ?? 0, stats?.SplitStepSeconds ?? 0,
            Volatile.Read(ref _loadedTailLayers));
    }

    // The GPUs, host copies or storage a feed list fetches from, each once, in feed order.
    private static IEnumerable<string> SourcesOf(IReadOnlyList<LoadFeed> feeds) => feeds.Select(f => f.From).Distinct();

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

    // What the shard can say of itself: whether it holds parameters. The model grain reports the instance's lifecycle state.
    private InstanceState ReportedState() => _phase switch
    {
        ShardPhase.Loading => InstanceState.Loading,
        ShardPhase.Loaded => InstanceState.Serving,
        ShardPhase.Failed => InstanceState.Failed,
        _ => InstanceState.Inactive,
    };

    private enum ShardPhase
    {
        Empty,
        Loading,
        Loaded,
        Failed,
    }

    private string ModelName => ShardKey.Parse(Key).Model;

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} pulled from its live partner while it loaded: {Pulls}")]
    private static partial void LogPulls(ILogger logger, string shard, string pulls);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} served live while loading ({When}): {Ledger}")]
    private static partial void LogLiveLedger(ILogger logger, string shard, string when, string ledger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} loading onto {Gpu} from {Feeds}: {ParameterBytes} parameter bytes, {KvBlocks} KV blocks")]
    private static partial void LogLoading(ILogger logger, string shard, string gpu, string feeds, long parameterBytes, int kvBlocks);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard}: load call took {Ms:0.0} ms: {Steps}")]
    private static partial void LogLoadCall(ILogger logger, string shard, double ms, string steps);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} on {Gpu} refeeding from {Feeds}: {KeptBytes} bytes kept from the load that lost its source")]
    private static partial void LogRefeeding(ILogger logger, string shard, string gpu, string feeds, long keptBytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {Shard} {Why}: fetching what it lacks from its fallback, {Feeds}")]
    private static partial void LogFellBack(ILogger logger, string shard, string why, string feeds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} fetches from {Source}: {Reason}")]
    private static partial void LogTransport(ILogger logger, string shard, string source, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} serving: loaded in {Seconds:0.000} s from {Feeds}")]
    private static partial void LogServing(ILogger logger, string shard, double seconds, string feeds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Evicting Warm instance {Evicted} from {Gpu} to make room for {Shard}")]
    private static partial void LogEvicting(ILogger logger, string evicted, string gpu, string shard);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} paired live as {Role} with {Partner}")]
    private static partial void LogPaired(ILogger logger, string shard, LiveRole role, string partner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {Shard}: its live partner {Partner} left the pair; {Ended} split request(s) ended here (they resume elsewhere)")]
    private static partial void LogPartnerGone(ILogger logger, string shard, string partner, int ended);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} is Warm")]
    private static partial void LogWarm(ILogger logger, string shard);

    [LoggerMessage(Level = LogLevel.Error, Message = "Instance {Shard} failed to load")]
    private static partial void LogLoadFailed(ILogger logger, string shard, Exception error);
}
