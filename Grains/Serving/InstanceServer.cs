using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Serving.Live;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Live;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// One model instance serving many requests with continuous batching: a background loop plans a step with a
/// <see cref="ContinuousBatcher"/>, runs it on the <see cref="DeviceExecutor"/> (embed, all layers, head,
/// each sampling request's own sampler), completes it and streams the tokens to their requests. The batcher
/// decides; the server only turns each plan into the engine's batch (block tables, positions, layer ranges), whose
/// keys and values the engine keeps in its own store.
/// </summary>
/// <remarks>
/// <para>Paired as LiveOld in live scaling, it also runs the tails of split requests (<see cref="RunSplitAsync"/>): layers
/// [j, L) and the head on hidden states its LiveNew partner computed, in the same steps as its own requests. It pulls a new
/// split request when it has a seat; the partner's live limit bounds how many are split at once, and a pulled request takes
/// the next freed KV blocks before this instance's own waiting requests, so its running requests keep their pace. It also
/// hands the waiting requests it cannot seat soon to the partner (<see cref="HandOverTo"/>, <see cref="LiveHandover"/>) and
/// relays their tokens: the caller's stream stays this instance's.</para>
/// <para>Paired as LiveTail (loads in complementary orders), it starts on an engine whose layers still land last first
/// (<c>tailFrom</c>): it runs only the tails of its partner's split requests, from the first layer landed with the head on,
/// and takes requests of its own once every layer has landed, when its shard makes it the instance's server.</para>
/// <para>The loop is a task, not a thread: it only plans and delivers, and awaits the device for compute. It sleeps
/// on a signal when idle. Every batcher call and every write to a request's stream happens under one lock, so
/// a request leaves the batcher and its stream ends together.</para>
/// </remarks>
public sealed class InstanceServer : IAsyncDisposable
{
    private readonly ILayerEngine _engine;
    // LiveTail: the first layer landed with the head (0 once every layer has); null for a server over a whole engine.
    private readonly Func<int>? _tailFrom;
    private readonly DeviceExecutor _device;
    private readonly ContinuousBatcher _batcher;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RequestStream> _streams = new(StringComparer.Ordinal);
    // Split requests whose tail runs here, in the order they arrived (pulled ones run first come, first served).
    private readonly List<SplitSequence> _splits = [];
    private readonly KvBlockAllocator? _sharedBlocks;
    private Func<Task<LivePull?>>? _pull;
    // LiveOld: the LiveNew partner paired now (its shard), and those that left their pair without finishing: their split
    // requests were ended here, and a late step of theirs must not start one again without its earlier KV.
    private string? _partner;
    private readonly HashSet<string> _gone = new(StringComparer.Ordinal);
    // LiveOld: where waiting requests go (the partner's generate), and those relayed from there, by id.
    private Func<ServingRequest, CancellationToken, IAsyncEnumerable<ServedToken>>? _handOff;
    private readonly Dictionary<string, (RequestStream Stream, CancellationTokenSource Stop, string To)> _relayed = new(StringComparer.Ordinal);
    private long _handedOver;
    private int _offered;
    private bool _pulling;
    // LiveOld: where its pulls spend their time, logged when the pair ends.
    private readonly PullLedger _pulls = new(TimeProvider.System);
    // Capacity 1, extra signals dropped: any number of submissions while the loop is busy wake it once.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _tokensGenerated;
    private long _stepsRun;
    private long _prefilledTokens;
    private double _prefillSeconds;
    private double _stepSeconds, _splitStepSeconds;
    private readonly ServingLatency _latency = new();
    private bool _disposed;
    private Exception? _fault;

    /// <summary>
    /// Serves <paramref name="engine"/> (all layers loaded) on <paramref name="device"/>; it owns neither. The policy's KV
    /// blocks and block size must be the engine's KV store's.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The policy is invalid.</exception>
    /// <exception cref="ArgumentException">The policy's KV blocks or block size differ from the engine's store.</exception>
    /// <exception cref="InvalidOperationException">The engine does not hold every layer.</exception>
    /// <param name="engine">The engine.</param>
    /// <param name="policy">The batching policy.</param>
    /// <param name="device">The device the steps run on.</param>
    /// <param name="eosId">The model's EOS token.</param>
    /// <param name="allocator">KV blocks shared with another scheduler of the same engine (a live instance's first requests); null for the policy's own.</param>
    /// <param name="tailFrom">
    /// A LiveTail's engine, its layers still landing last first: the first layer landed with the head (0 once every layer has).
    /// Split tails from there on run; requests of its own are refused until every layer has landed. Null: the engine must hold
    /// every layer.
    /// </param>
    public InstanceServer(ILayerEngine engine, BatchPolicy policy, DeviceExecutor device, int eosId, KvBlockAllocator? allocator = null,
        Func<int>? tailFrom = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(device);
        policy.Validate();
        var config = engine.Config;
        if (tailFrom is null && engine.LoadedLayers < config.NumLayers)
            throw new InvalidOperationException($"only {engine.LoadedLayers} of {config.NumLayers} layers are loaded");
        _tailFrom = tailFrom;
        var kv = engine.KvShape;
        if (policy.KvBlocks != kv.Blocks || policy.BlockSize != kv.BlockSize)
        {
            throw new ArgumentException(
                $"the batch policy plans {policy.KvBlocks} KV blocks of {policy.BlockSize} positions, but the engine's KV store has " +
                $"{kv.Blocks} blocks of {kv.BlockSize}", nameof(policy));
        }
        _engine = engine;
        _device = device;
        _batcher = new ContinuousBatcher(policy, config.NumLayers, config.MaxPositionEmbeddings, eosId, allocator);
        // Blocks the other scheduler of a shared store frees may let this one's waiting requests in: nothing else would wake it.
        if (allocator is not null)
        {
            _sharedBlocks = allocator;
            allocator.Released += Wake;
        }
        // Task.Run: the loop never runs on the creator's scheduler (in the grid, a grain's).
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>The load right now.</summary>
    public InstanceStats Stats
    {
        get
        {
            lock (_gate)
            {
                return new InstanceStats(_batcher.Waiting, _batcher.Running + _splits.Count, _batcher.KvBlocksUsed, _batcher.KvBlocksTotal,
                    _tokensGenerated, _stepsRun, _batcher.QueuedPrefillTokens, _batcher.RunningDecodeTokens, _prefilledTokens, _prefillSeconds,
                    _latency.TtftMs, _latency.TbtMs, _stepSeconds, _splitStepSeconds);
            }
        }
    }

    /// <summary>
    /// Submits <paramref name="request"/> on the first <c>MoveNextAsync</c> and streams its tokens: indexes 0, 1, 2, …;
    /// the last element carries the finish reason (at EOS, a last element with token id -1). When the enumeration
    /// ends, by finishing, by <paramref name="cancellationToken"/> (it then throws <see cref="OperationCanceledException"/>)
    /// or by disposing the enumerator early, the request has left the instance and its KV blocks are free.
    /// </summary>
    /// <exception cref="RequestRejectedException">The request can never run on this instance.</exception>
    /// <exception cref="ArgumentException">The request is malformed (empty id or prompt, a token outside the vocabulary, max tokens below 1).</exception>
    /// <exception cref="ObjectDisposedException">The server is disposed, before or during the request.</exception>
    /// <remarks>If the engine fails in a step that includes the request, the enumeration throws the engine's exception.</remarks>
    public async IAsyncEnumerable<ServedToken> GenerateAsync(ServingRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var stream = Submit(request);
        try
        {
            await foreach (var token in stream.ReadAsync(cancellationToken).ConfigureAwait(false)) yield return token;
        }
        finally
        {
            await LeaveAsync(stream).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// LiveOld: pairs with the LiveNew instance <paramref name="partner"/>, replacing any earlier pairing. <paramref name="pull"/>
    /// asks it for its earliest blocked request when this instance has room (what was handed over, whose KV blocks are
    /// reserved here at once; its first <see cref="RunSplitAsync"/> follows); <paramref name="handOff"/>, when given, serves the waiting requests this instance
    /// cannot seat soon (<see cref="LiveHandover.ToHandOver"/>) through the partner's generate, relaying their tokens to their
    /// callers here. A call to the partner that fails ends the pair as <see cref="PartnerGone"/> does.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="partner"/> is empty.</exception>
    public void PairWith(string partner, Func<Task<LivePull?>> pull, Func<ServingRequest, CancellationToken, IAsyncEnumerable<ServedToken>>? handOff)
    {
        ArgumentException.ThrowIfNullOrEmpty(partner);
        ArgumentNullException.ThrowIfNull(pull);
        lock (_gate)
        {
            _partner = partner;
            _gone.Remove(partner);
            _pull = pull;
            _handOff = handOff;
            _pulls.Paired();
            // An offer may arrive before the pairing: it stands until the partner sends another count.
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>
    /// LiveOld: the pair finished (the partner holds every layer): stops pulling and handing over. Split requests still here
    /// finish split, and requests handed over finish there.
    /// </summary>
    public void EndPair()
    {
        lock (_gate) UnpairLocked();
        _wake.Writer.TryWrite(true);
    }

    /// <summary>
    /// LiveOld: the pair finished because the partner loaded every layer. Before it stops, it hands the partner the share of its
    /// backlog that would wait longer here than there (<see cref="LiveHandover.AtPairEnd"/>, from the requests open on each,
    /// as the model grain's router counts them); then as <see cref="EndPair()"/>.
    /// </summary>
    public void EndPair(int openHere, int openOnPartner)
    {
        lock (_gate)
        {
            if (_handOff is { } partner && !_disposed)
                HandOverLocked(partner, LiveHandover.AtPairEnd(_batcher.Waiting, _batcher.Running, openHere, openOnPartner));
            UnpairLocked();
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>
    /// LiveOld: the partner <paramref name="partner"/> left the pair without finishing its load (failed, unloaded, its silo gone),
    /// or a call to it failed. Stops pulling from it and handing requests to it when it is the partner now, and ends every split
    /// request counted for it: their KV blocks are freed (once a step running now completes), a step waiting here fails with
    /// <paramref name="reason"/>, and a later step of theirs is refused, so the partner, if it still runs, ends them as lost and
    /// their callers resume them elsewhere. Returns how many split requests it ended.
    /// </summary>
    public int PartnerGone(string partner, Exception reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(partner);
        ArgumentNullException.ThrowIfNull(reason);
        int ended;
        lock (_gate) ended = PartnerGoneLocked(partner, reason);
        _wake.Writer.TryWrite(true);
        return ended;
    }

    /// <summary>LiveOld: the LiveNew partner paired now (its shard); null when none.</summary>
    public string? Partner
    {
        get { lock (_gate) return _partner; }
    }

    /// <summary>LiveOld: where its pulls of the pair now (or the last one) spent their time (<see cref="PullLedger"/>).</summary>
    internal PullLedgerSummary Pulls
    {
        get { lock (_gate) return _pulls.Summary(); }
    }

    /// <summary>Whether waiting requests go to a live partner now (paired, and the partner has not failed under one).</summary>
    public bool HandsOver
    {
        get { lock (_gate) return _handOff is not null; }
    }

    /// <summary>Requests handed over to a live partner so far.</summary>
    public long HandedOver
    {
        get { lock (_gate) return _handedOver; }
    }

    /// <summary>LiveOld: the partner holds <paramref name="blocked"/> requests that have run every layer it has.</summary>
    public void Offered(int blocked)
    {
        lock (_gate)
        {
            _offered = Math.Max(0, blocked);
            StartPullIfRoom();
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>
    /// LiveOld: runs one step of a split request's tail in this instance's next step that has room, and returns the sampled
    /// token. The first step of a request (its whole prompt) reserves its KV blocks here; later steps are one decode row each.
    /// </summary>
    /// <exception cref="ArgumentException">The work does not fit the model (layer, rows, width) or contradicts the request's earlier steps.</exception>
    /// <exception cref="InvalidOperationException">A step of the request is already waiting, or the serving loop failed.</exception>
    /// <exception cref="OperationCanceledException">The request was ended (<see cref="EndSplit"/>) before its step ran.</exception>
    public Task<int> RunSplitAsync(SplitWork work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var config = _engine.Config;
        if (work.Hidden is null)
        {
            // A moved request's decode step: its token, embedded here, through every layer.
            if (work.FirstLayer != 0 || work.Count != 1 || (uint)work.TokenId >= (uint)config.VocabSize)
            {
                throw new ArgumentException(
                    $"request \"{work.RequestId}\": a step without hidden states runs one token from layer 0, found {work.Count} rows from layer {work.FirstLayer}, token {work.TokenId}", nameof(work));
            }
        }
        else
        {
            if (SplitError(work.RequestId, work.FirstLayer, work.Positions) is { } error) throw new ArgumentException(error, nameof(work));
            if (work.Hidden.Tokens != work.Count || work.Hidden.Width != config.HiddenSize)
            {
                throw new ArgumentException(
                    $"request \"{work.RequestId}\": expected {work.Count} rows of {config.HiddenSize}, found {work.Hidden.Tokens} of {work.Hidden.Width}", nameof(work));
            }
        }
        if (work.Start < 0 || work.Count < 1 || work.Start + work.Count > work.Positions)
            throw new ArgumentException($"request \"{work.RequestId}\": positions [{work.Start}, {work.Start + work.Count}) are not within its {work.Positions}", nameof(work));
        var result = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_fault is not null) throw new InvalidOperationException("the instance's serving loop has failed", _fault);
            var split = _splits.Find(x => x.Id == work.RequestId);
            string? partner = work.Partner ?? _partner;
            if (split is null && partner is not null && _gone.Contains(partner))
                throw new InvalidOperationException($"request \"{work.RequestId}\": its live pair with {partner} has ended here");
            if (split is null && work.Hidden is null)
                throw new InvalidOperationException($"request \"{work.RequestId}\": no split request here has taken over its keys and values; it was ended");
            if (split is null && work.Start != 0)
            {
                // Its KV for [j, L) here was freed (the pair ended under it): started again, it would run without the earlier positions.
                throw new InvalidOperationException($"request \"{work.RequestId}\": position {work.Start} has no split here to continue; it was ended");
            }
            if (split is null)
            {
                split = new SplitSequence(work.RequestId, work.FirstLayer, work.Positions, new Sampler(work.Sampling), partner);
                _splits.Add(split);
            }
            else if (split.FirstLayer != work.FirstLayer || split.Positions != work.Positions)
            {
                throw new ArgumentException(
                    $"request \"{work.RequestId}\" is split at layer {split.FirstLayer} with {split.Positions} positions, not {work.FirstLayer} with {work.Positions}", nameof(work));
            }
            else if (split.Pending is not null || split.InFlight)
            {
                throw new InvalidOperationException($"a step of request \"{work.RequestId}\" is already waiting");
            }
            // An expected request (pulled, Expect) gets its sampling with its first step.
            split.Sampler ??= new Sampler(work.Sampling);
            split.Pending = work;
            split.Result = result;
            if (work.Start == 0) _pulls.StepArrived(work.RequestId);
        }
        _wake.Writer.TryWrite(true);
        return result.Task;
    }

    // LiveOld: the partner handed over a request on this instance's pull. Its blocks are reserved from now on, ahead of this
    // instance's own waiting requests, as its first step's would be: without this the blocks that made room for the pull went
    // to a request the model grain routed here meanwhile, and the split request waited for the next ones (bench live at
    // 5a093a1: its first split token 1.0 s after the pull). Under the lock.
    private void ExpectLocked(LivePull pulled, string? partner)
    {
        // A pull that could not run here reserves nothing: its first step is refused with the reason (RunSplitAsync).
        if (_disposed || _splits.Exists(x => x.Id == pulled.RequestId) || SplitError(pulled.RequestId, pulled.FirstLayer, pulled.Positions) is not null) return;
        _splits.Add(new SplitSequence(pulled.RequestId, pulled.FirstLayer, pulled.Positions, sampler: null, partner));
        AdmitPulled();
    }

    // Why a request split at firstLayer with positions in all cannot run on this model, or null: the one check of a pull's
    // reservation and of every split step.
    private string? SplitError(string requestId, int firstLayer, int positions)
    {
        var config = _engine.Config;
        if (firstLayer <= 0 || firstLayer >= config.NumLayers) return $"request \"{requestId}\": split layer {firstLayer} is outside (0, {config.NumLayers})";
        if (_tailFrom is not null && _tailFrom() is var from && firstLayer < from)
            return $"request \"{requestId}\": split at layer {firstLayer}, but layers land here last first and only [{from}, {config.NumLayers}) have";
        if (positions < 1 || positions > config.MaxPositionEmbeddings)
            return $"request \"{requestId}\": {positions} positions do not fit the context of {config.MaxPositionEmbeddings}";
        return null;
    }

    /// <summary>
    /// LiveOld: the partner moved a split request's keys and values of layers [0, j) for the positions computed so far (<paramref name="slice"/>,
    /// <paramref name="kv"/> in <see cref="KvSlice"/>'s layout). They are written into the request's blocks here, and from its next
    /// step on the request runs whole here: each step carries its token, which this instance embeds.
    /// </summary>
    /// <exception cref="ArgumentException">The slice does not start at layer 0, is not the request's split layer, or the rows do not fit it.</exception>
    /// <exception cref="InvalidOperationException">The request is not split here, not between steps with its prompt done, or the loop failed.</exception>
    /// <exception cref="OperationCanceledException">The request ended (<see cref="EndSplit"/>) while its keys and values were written.</exception>
    public async Task TakeOverSplitAsync(string requestId, KvSlice slice, HiddenStates kv)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        ArgumentNullException.ThrowIfNull(kv);
        var config = _engine.Config;
        if (slice.FirstLayer != 0 || slice.EndLayer <= 0 || slice.EndLayer >= config.NumLayers)
            throw new ArgumentException($"request \"{requestId}\": moved layers [{slice.FirstLayer}, {slice.EndLayer}) are not [0, j) with 0 < j < {config.NumLayers}", nameof(slice));
        if (kv.Width != config.KvDim || kv.Tokens != slice.Rows)
            throw new ArgumentException($"request \"{requestId}\": expected {slice.Rows} rows of {config.KvDim} keys or values, found {kv.Tokens} of {kv.Width}", nameof(kv));
        SplitSequence split;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_fault is not null) throw new InvalidOperationException("the instance's serving loop has failed", _fault);
            split = _splits.Find(x => x.Id == requestId) ?? throw new InvalidOperationException($"request \"{requestId}\" is not split here; it was ended");
            if (split.FirstLayer != slice.EndLayer)
                throw new ArgumentException($"request \"{requestId}\" is split at layer {split.FirstLayer}, not {slice.EndLayer}", nameof(slice));
            if (!split.Admitted || split.InFlight || split.Pending is not null || split.Kv.Length != slice.Positions)
            {
                throw new InvalidOperationException(
                    $"request \"{requestId}\" is not between steps with {slice.Positions} positions computed here (it has {split.Kv.Length})");
            }
            // Its blocks stay its own while they are written: an end meanwhile waits for the write (EndSplit).
            split.InFlight = true;
        }
        Exception? failure = null;
        try
        {
            await _device.RunAsync(() =>
            {
                _engine.WriteKv(split.Kv.Blocks, slice, kv.Data);
                return 0;
            }).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
        }
        lock (_gate)
        {
            split.InFlight = false;
            if (split.EndRequested)
            {
                EndSplitLocked(split, null);
                throw new OperationCanceledException($"request \"{requestId}\" ended while its keys and values were written");
            }
            // A failed write leaves the request split as it was: this instance never reads layers [0, j) of a split request.
            if (failure is not null) throw new InvalidOperationException($"request \"{requestId}\": could not write its keys and values: {failure.Message}", failure);
            split.FirstLayer = 0;
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>LiveOld: a split request ended on its partner (finished or cancelled): its KV blocks here are freed.</summary>
    public void EndSplit(string requestId)
    {
        lock (_gate)
        {
            var split = _splits.Find(x => x.Id == requestId);
            if (split is null) return;
            if (split.InFlight) split.EndRequested = true;
            else EndSplitLocked(split, null);
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Split requests whose tail this instance holds KV for.</summary>
    public int SplitRequests
    {
        get { lock (_gate) return _splits.Count; }
    }

    /// <summary>Stops the loop after the step in progress, then fails the outstanding requests with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        if (_sharedBlocks is not null) _sharedBlocks.Released -= Wake;
        _stop.Cancel();
        await _loop.ConfigureAwait(false);
        lock (_gate) CloseAll(new ObjectDisposedException(nameof(InstanceServer)));
        _stop.Dispose();
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    private RequestStream Submit(ServingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.PromptIds, nameof(request));
        ArgumentNullException.ThrowIfNull(request.Sampling, nameof(request));
        if (_tailFrom is not null && _engine.LoadedLayers < _engine.Config.NumLayers)
        {
            throw new InvalidOperationException(
                $"request \"{request.Id}\": its layers are still landing, last first ({_engine.LoadedLayers} of {_engine.Config.NumLayers} from the first): it runs only its live partner's tails until its load completes");
        }
        int vocab = _engine.Config.VocabSize;
        for (int i = 0; i < request.PromptIds.Length; i++)
        {
            // Checked here, not in the engine, so one bad prompt cannot fail the step of every request batched with it.
            if ((uint)request.PromptIds[i] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(request), $"request \"{request.Id}\": prompt token {i} is {request.PromptIds[i]}, outside the vocabulary of {vocab}");
        }
        var stream = new RequestStream(
            new ServingSequence(request.Id, request.PromptIds, request.MaxTokens, request.StopAtEos),
            new Sampler(request.Sampling), request);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_fault is not null) throw new InvalidOperationException("the instance's serving loop has failed", _fault);
            var admitted = _batcher.TryEnqueue(stream.Sequence);
            if (!admitted.Accepted) throw new RequestRejectedException(admitted.Status, admitted.Message!);
            _streams.Add(request.Id, stream);
        }
        _wake.Writer.TryWrite(true);
        return stream;
    }

    private async Task LeaveAsync(RequestStream stream)
    {
        lock (_gate)
        {
            string id = stream.Sequence.Id;
            // A relayed request ends when its relay stops: that closes the stream.
            if (_relayed.TryGetValue(id, out var relayed) && ReferenceEquals(relayed.Stream, stream))
                relayed.Stop.Cancel();
            else if (_streams.TryGetValue(id, out var current) && ReferenceEquals(current, stream)
                && _batcher.Cancel(id) == CancelOutcome.Removed)
            {
                _streams.Remove(id);
                stream.Close(null);
            }
            // Otherwise it is in the executing step: completing that step frees its blocks and closes the stream.
        }
        // Freed blocks may let the head of the queue in.
        _wake.Writer.TryWrite(true);
        await stream.Released.ConfigureAwait(false);
    }

    private async Task ServeAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                Step? step;
                lock (_gate)
                {
                    step = NextStep();
                    HandOverWaiting();
                    StartPullIfRoom();
                    if (step is null) _pulls.Idle();
                    else _pulls.Busy();
                }
                if (step is null)
                {
                    await _wake.Reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                    continue;
                }
                int[]? sampled = null;
                Exception? failure = null;
                long started = Stopwatch.GetTimestamp();
                try
                {
                    // No cancellation token: a step once queued runs, so Complete always follows its Plan.
                    sampled = await _device.RunAsync(() => Execute(step)).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    failure = e;
                }
                lock (_gate)
                {
                    double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                    CountStep(step, seconds);
                    if (sampled is not null) CountPrefill(step, seconds);
                    if (sampled is not null) CompleteStep(step, sampled);
                    else FailStep(step, failure!);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A bug in planning or delivery: nothing can be served any more, so say so to everyone waiting.
            lock (_gate)
            {
                _fault = e;
                CloseAll(new InvalidOperationException("the instance's serving loop has failed", e));
            }
        }
    }

    // Plans the next step and picks each sampling segment's sampler; under the lock.
    private Step? NextStep()
    {
        // Pulled split requests reserve freed blocks before the batcher admits its own waiting requests.
        AdmitPulled();
        // A split prompt's tail ready here goes first: it costs this instance only the layers its partner lacks, where its own
        // prompts cost every layer, so while the pair has tails to run the pair serves the most requests. (Tails and own prompts
        // in the order their requests reached the model grain were tried, the grain's time carried with each request and its
        // pull: bench replay gave 1.104 of allcache's p99 against 1.124 at bddff4c, within the rounds' spread; the LiveOld's own
        // early requests waited as long and its partner's longer. Not kept: docs/results.md, 8 December.)
        var plan = _splits.Exists(TailReady) ? _batcher.Plan(0) : _batcher.Plan();
        var splits = SplitsToRun(plan?.TokenIds.Length ?? 0);
        if (plan is null && splits.Count == 0) return null;
        int own = plan?.Segments.Count ?? 0;
        var samplers = new Sampler?[own + splits.Count];
        var segments = new BatchSegment[own + splits.Count];
        for (int i = 0; i < own; i++)
        {
            var segment = plan!.Segments[i];
            var stream = _streams[segment.Sequence.Id];
            stream.Scheduled();
            if (segment.Sample) samplers[i] = stream.Sampler;
            segments[i] = new BatchSegment(segment.Sequence.Kv.Blocks, segment.Start, segment.Count, segment.FirstLayer, segment.EndLayer);
        }
        int tokens = plan?.TokenIds.Length ?? 0;
        int numLayers = _engine.Config.NumLayers;
        var rows = new int[splits.Count];
        for (int i = 0; i < splits.Count; i++)
        {
            var (split, work) = splits[i];
            split.InFlight = true;
            if (work.Start == 0) _pulls.StepStarted(split.Id);
            samplers[own + i] = split.Sampler;
            segments[own + i] = new BatchSegment(split.Kv.Blocks, work.Start, work.Count, split.FirstLayer, numLayers);
            rows[i] = tokens;
            tokens += work.Count;
        }
        // Split rows enter as the partner's hidden states; their token ids only give Embed a row to overwrite. A moved request's
        // row is its token's embedding.
        var ids = new int[tokens];
        if (plan is not null) plan.TokenIds.CopyTo(ids);
        for (int i = 0; i < splits.Count; i++)
        {
            if (splits[i].Work.Hidden is null) ids[rows[i]] = splits[i].Work.TokenId;
        }
        return new Step(plan, new Batch(segments), samplers, ids, splits);
    }

    // A pulled request's first step (its prompt's tail) is here, its blocks reserved, and not yet running. Under the lock.
    private static bool TailReady(SplitSequence split) => split.Admitted && !split.InFlight && split.Pending is { Count: > 1 };

    // Reserves KV blocks for pulled split requests in arrival order, until one does not fit (no overtaking). Under the lock.
    private void AdmitPulled()
    {
        foreach (var split in _splits)
        {
            // Expected ones too (pulled, first step not yet here): their blocks are theirs from the pull on.
            if (split.Admitted) continue;
            if (!_batcher.Allocator.TryReserve(split.Kv, split.Positions)) return;
            split.Admitted = true;
        }
    }

    // The split steps that run with this step, in arrival order: every admitted request's waiting decode step (they are running
    // requests), and prompts' tails while the step stays within the token budget, the first of them even beyond it.
    // Under the lock.
    private List<(SplitSequence Split, SplitWork Work)> SplitsToRun(int ownTokens)
    {
        var run = new List<(SplitSequence, SplitWork)>();
        int tokens = ownTokens;
        bool tailTaken = false, tailsWait = false;
        foreach (var split in _splits)
        {
            if (!split.Admitted || split.InFlight || split.Pending is not { } work) continue;
            if (work.Count > 1)
            {
                // A prompt's tail waits for a later step once the step is full, and so do the tails behind it (no overtaking):
                // the split requests' decode steps are not held behind several prompts at once, and each holds its KV blocks
                // here until its last token.
                if (tailsWait || tailTaken && tokens + work.Count > _batcher.Policy.MaxBatchTokens)
                {
                    tailsWait = true;
                    continue;
                }
                tailTaken = true;
            }
            tokens += work.Count;
            run.Add((split, work));
        }
        return run;
    }

    // Room for one more split request: a seat, and no pulled request still waiting for its blocks. The partner's live limit
    // bounds how many are split at once; a pulled request takes the next freed blocks before this instance's own queue
    // (which, under the overload that made the pair, never empties), so the instance's running requests keep their pace.
    // Under the lock; the pull itself runs outside it.
    private void StartPullIfRoom()
    {
        if (_pull is not { } pull || _pulling || _offered == 0 || _disposed) return;
        var policy = _batcher.Policy;
        bool room = _splits.Count < policy.MaxRunningSequences && !_splits.Exists(s => !s.Admitted);
        if (!room)
        {
            _pulls.Held();
            return;
        }
        _pulling = true;
        _offered--;
        _pulls.PullStarted();
        string? partner = _partner;
        _ = Task.Run(async () =>
        {
            try
            {
                var pulled = await pull().ConfigureAwait(false);
                lock (_gate)
                {
                    _pulls.PullReturned(pulled?.RequestId);
                    // Reserved now, before the pair could end meanwhile: a partner gone since is not expected.
                    if (pulled is not null && (partner is null || !_gone.Contains(partner))) ExpectLocked(pulled, partner);
                }
            }
            catch (Exception e)
            {
                // The partner cannot be reached (its silo gone, the call timed out): its split requests here would wait for steps
                // that never come, holding their KV blocks and counting as running, so the pair ends here now.
                if (partner is not null)
                {
                    lock (_gate) PartnerGoneLocked(partner, e);
                }
            }
            finally
            {
                lock (_gate)
                {
                    _pulling = false;
                    StartPullIfRoom();
                }
                _wake.Writer.TryWrite(true);
            }
        });
    }

    // LiveOld: the waiting requests this instance will not seat soon go to the partner; under the lock.
    private void HandOverWaiting()
    {
        if (_handOff is not { } partner || _disposed) return;
        HandOverLocked(partner, LiveHandover.ToHandOver(_batcher.Waiting, _batcher.Running, _relayed.Count));
    }

    // Hands the newest count waiting requests to the partner and relays their tokens; under the lock.
    private void HandOverLocked(Func<ServingRequest, CancellationToken, IAsyncEnumerable<ServedToken>> partner, int count)
    {
        if (count == 0) return;
        foreach (var sequence in _batcher.TakeWaiting(count))
        {
            if (!_streams.Remove(sequence.Id, out var stream)) continue;
            var stop = new CancellationTokenSource();
            // Set with the hand-off (PairWith): the partner the request goes to.
            string to = _partner!;
            _relayed.Add(sequence.Id, (stream, stop, to));
            _handedOver++;
            _ = Task.Run(() => RelayAsync(partner, to, stream, stop));
        }
    }

    // Streams a handed-over request's tokens from the partner to its caller here; ends the stream however the relay ends.
    private async Task RelayAsync(Func<ServingRequest, CancellationToken, IAsyncEnumerable<ServedToken>> partner, string to, RequestStream stream,
        CancellationTokenSource stop)
    {
        Exception? error = null;
        try
        {
            bool finished = false;
            await foreach (var token in partner(stream.Request, stop.Token).WithCancellation(stop.Token).ConfigureAwait(false))
            {
                stream.Scheduled();
                stream.Deliver(token.TokenId, token.Index, token.Finish, token.HandedTo);
                finished = token.Finish is not null;
                if (finished) break;
            }
            if (!finished) error = new InvalidOperationException($"request \"{stream.Request.Id}\": the live partner ended its stream without finishing it");
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The caller left (or the server is being disposed, which closed the stream with its own error).
        }
        catch (Exception e)
        {
            error = e;
            // The partner failed under the request (unloaded, its silo gone): nothing more goes there. Handed to it again, the
            // resumed request would come back here and be lost again until its resumes ran out. Its split requests end too.
            lock (_gate)
            {
                PartnerGoneLocked(to, e);
            }
        }
        finally
        {
            lock (_gate)
            {
                if (_relayed.TryGetValue(stream.Request.Id, out var current) && ReferenceEquals(current.Stream, stream))
                    _relayed.Remove(stream.Request.Id);
            }
            stream.Close(error);
            stop.Dispose();
            // One fewer handed out: another waiting request may go.
            _wake.Writer.TryWrite(true);
        }
    }

    // One forward pass over the whole batch; on the device thread.
    private int[] Execute(Step step)
    {
        int vocab = _engine.Config.VocabSize;
        // A step of split tails alone needs no embedding: each row is the partner's. A LiveTail has none to embed with yet.
        bool embeds = (step.Plan?.TokenIds.Length ?? 0) > 0 || step.Splits.Any(s => s.Work.Hidden is null);
        var hidden = embeds ? _engine.Embed(step.TokenIds) : new HiddenStates(step.TokenIds.Length, _engine.Config.HiddenSize);
        int row = step.Plan?.TokenIds.Length ?? 0;
        foreach (var (_, work) in step.Splits)
        {
            work.Hidden?.Data.CopyTo(hidden.Data.AsSpan(row * hidden.Width));
            row += work.Count;
        }
        _engine.RunLayers(step.Batch, hidden);
        float[] logits = _engine.Head(step.Batch, hidden);
        var sampled = new int[step.Samplers.Length];
        for (int i = 0; i < sampled.Length; i++)
            sampled[i] = step.Samplers[i] is { } sampler ? sampler.Sample(logits.AsSpan(i * vocab, vocab)) : -1;
        return sampled;
    }

    // Every step's time, and the share of it its split requests' tails took (by tokens × layers); under the lock.
    private void CountStep(Step step, double seconds)
    {
        _stepSeconds += seconds;
        if (step.Splits.Count == 0) return;
        var segments = step.Batch.Segments;
        double all = 0, split = 0;
        for (int i = 0; i < segments.Count; i++)
        {
            double work = (double)segments[i].Count * (segments[i].EndLayer - segments[i].FirstLayer);
            all += work;
            if (i >= segments.Count - step.Splits.Count) split += work;
        }
        if (all > 0) _splitStepSeconds += seconds * split / all;
    }

    // The autoscaler's prefill capacity: prompt tokens over the share of step time they took (the step's time split evenly
    // among its tokens, a prefill token costing about what a decode token does in a batch). Under the lock.
    private void CountPrefill(Step step, double seconds)
    {
        if (step.Plan is not { } plan || step.TokenIds.Length == 0) return;
        long prompt = 0;
        foreach (var segment in plan.Segments)
        {
            int end = Math.Min(segment.Start + segment.Count, segment.Sequence.PromptLength);
            if (end > segment.Start) prompt += end - segment.Start;
        }
        if (prompt == 0) return;
        _prefilledTokens += prompt;
        _prefillSeconds += seconds * prompt / step.TokenIds.Length;
    }

    // Streams a completed step's events; under the lock.
    private void Deliver(IReadOnlyList<SequenceEvent> events)
    {
        _stepsRun++;
        foreach (var e in events)
        {
            string id = e.Sequence.Id;
            if (!_streams.TryGetValue(id, out var stream)) continue;
            if (e.TokenId >= 0)
            {
                _tokensGenerated++;
                double gap = stream.Deliver(e.TokenId, e.Index, e.Finish);
                if (e.Index == 0) _latency.FirstToken(gap);
                else _latency.NextToken(gap);
            }
            else if (e.Finish == ServingFinishReason.Eos)
            {
                stream.Deliver(-1, e.Index, e.Finish);
            }
            if (e.Finish is not null)
            {
                _streams.Remove(id);
                stream.Close(null);
            }
        }
    }

    // Streams the own requests' tokens and answers the split steps; under the lock.
    private void CompleteStep(Step step, int[] sampled)
    {
        int own = step.Plan?.Segments.Count ?? 0;
        if (step.Plan is { } plan) Deliver(_batcher.Complete(plan, sampled.AsSpan(0, own)));
        else _stepsRun++;
        for (int i = 0; i < step.Splits.Count; i++)
        {
            var (split, work) = step.Splits[i];
            split.InFlight = false;
            if (work.Start == 0) _pulls.StepEnded(split.Id);
            split.Kv.Length = work.Start + work.Count;
            var result = split.Result!;
            split.Pending = null;
            split.Result = null;
            _tokensGenerated++;
            result.TrySetResult(sampled[own + i]);
            if (split.EndRequested) EndSplitLocked(split, null);
        }
    }

    // Stops pulling and handing over; under the lock.
    private void UnpairLocked()
    {
        if (_partner is not null) _pulls.Unpaired();
        _partner = null;
        _pull = null;
        _handOff = null;
        _offered = 0;
    }

    // PartnerGone, under the lock.
    private int PartnerGoneLocked(string partner, Exception reason)
    {
        _gone.Add(partner);
        if (_partner == partner) UnpairLocked();
        // Requests handed to it end now as lost, and their callers resume them elsewhere: a relay's call to a partner whose silo
        // died is answered by nobody until the response timeout, 30 s (LiveOldHandOverTests).
        EndRelaysLocked(new InstanceLostException(partner, $"the request was handed to it and it left its live pair: {reason.Message}"), partner);
        int ended = 0;
        foreach (var split in _splits.Where(s => s.Partner == partner).ToList())
        {
            ended++;
            // Its step on the device completes first (its token is the right one); then its blocks are freed.
            if (split.InFlight) split.EndRequested = true;
            else EndSplitLocked(split, new InvalidOperationException($"request \"{split.Id}\": its live pair with {partner} ended: {reason.Message}", reason));
        }
        return ended;
    }

    // Frees a split request's blocks and fails its waiting step (cancelled, or with the error); under the lock.
    private void EndSplitLocked(SplitSequence split, Exception? error)
    {
        _splits.Remove(split);
        _batcher.Allocator.Release(split.Kv);
        if (split.Result is { } result)
        {
            if (error is null) result.TrySetCanceled();
            else result.TrySetException(error);
        }
        split.Pending = null;
        split.Result = null;
    }

    // Ends every request of a step the device could not run; under the lock.
    private void FailStep(Step step, Exception failure)
    {
        foreach (var (split, _) in step.Splits)
        {
            split.InFlight = false;
            EndSplitLocked(split, failure);
        }
        if (step.Plan is not { } plan) return;
        _batcher.Abort(plan);
        foreach (var segment in plan.Segments)
        {
            string id = segment.Sequence.Id;
            if (!_streams.Remove(id, out var stream)) continue;
            // A request cancelled meanwhile just ends; the others see why their step failed.
            stream.Close(segment.Sequence.State == SequenceState.Failed ? failure : null);
        }
    }

    private void CloseAll(Exception error)
    {
        foreach (var split in _splits.ToArray()) EndSplitLocked(split, error);
        foreach (var stream in _streams.Values)
        {
            _batcher.Cancel(stream.Sequence.Id);
            stream.Close(error);
        }
        _streams.Clear();
        // Relayed requests end here too: their callers resume them elsewhere, as any request of an unloaded instance.
        EndRelaysLocked(error);
    }

    // Ends the relayed requests (those handed to partner `to`; every one when null) with the error: each caller's stream
    // closes with it, and its relay stops and leaves _relayed on its own. Under the lock.
    private void EndRelaysLocked(Exception error, string? to = null)
    {
        foreach (var (stream, stop, partner) in _relayed.Values.ToList())
        {
            if (to is not null && partner != to) continue;
            stream.Close(error);
            stop.Cancel();
        }
    }

    // A step: the batcher's plan (null when only split requests run), then the split steps after its segments.
    private sealed record Step(StepPlan? Plan, Batch Batch, Sampler?[] Samplers, int[] TokenIds, IReadOnlyList<(SplitSequence Split, SplitWork Work)> Splits);
}
