using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Live;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Serving.Live;

/// <summary>
/// A LiveNew instance serving while its parameters still land (live scaling). Each request runs its prompt through the layers
/// that have landed, and further as more land, first come first served except that a request whose next layer is loaded goes
/// first (<see cref="ZigZagScheduler"/>). A request that has run every landed layer waits to be pulled by the LiveOld partner:
/// from then on it is split at that layer j, and each decode step runs [0, j) here and [j, L) and the head there
/// (<see cref="ILivePartner"/>); each side keeps the KV of its layers. A request that reaches the last layer here before it
/// is pulled (the load completed) finishes here alone. Where <see cref="ZigZagOptions.Move"/> says so (never by default), a
/// split request whose step has just returned moves its keys and values of [0, j) to the partner
/// (<see cref="ILivePartner.MoveKvAsync"/>), which runs it whole from then on; this instance only relays its steps' tokens, and
/// its seat and blocks here free.
/// </summary>
/// <remarks>
/// <para>When the load completes, the shard closes this server to new requests (<see cref="Close"/>) and starts an
/// <see cref="InstanceServer"/> on the same engine and KV blocks (<paramref name="allocator"/> is shared); the requests
/// already here finish here, split ones split (or whole on the partner, once moved): moving their KV for [j, L) here would
/// cost a transfer and a pause for each, while at most the live limit of them exist and each ends within its max tokens.</para>
/// <para>Why the move: a split request holds one of this instance's seats and the KV of a whole request for all its decode steps
/// (about 1.7 s for a code-shaped request in bench live), where this instance adds little (a decode row is nearly free on the
/// LiveOld); where the seats bind, moved requests let waiting ones start. Why not by default: in bench live both rules made
/// blitz's p99 worse, the keys and values queueing on the link into the LiveOld's host ahead of the split steps' hidden
/// states (docs/live-scaling.md, "Limits today").</para>
/// <para>Like <see cref="InstanceServer"/>, one loop plans under a lock and awaits the device for compute. Split steps run on
/// the partner asynchronously, so the loop keeps advancing other requests meanwhile.</para>
/// </remarks>
internal sealed class LiveServer : IAsyncDisposable
{
    private readonly ILayerEngine _engine;
    private readonly DeviceExecutor _device;
    private readonly KvBlockAllocator _allocator;
    private readonly ZigZagScheduler _scheduler;
    private readonly LiveLedger _ledger;
    // The partners by shard: the one offers go to (the current) and any that still run tails of requests they pulled.
    private readonly Dictionary<string, ILivePartner> _partners = new(StringComparer.Ordinal);
    private ILivePartner _partner;
    private SplitMove _move;
    private readonly Func<int> _usableLayers;
    private readonly BatchPolicy _policy;
    private readonly int _eosId;
    private readonly int _numLayers;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LiveEntry> _entries = new(StringComparer.Ordinal);
    private readonly List<LiveEntry> _order = [];
    private readonly LinkedList<LiveEntry> _waitingForBlocks = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;
    private int _offered = -1;
    // Requests whose keys and values moved to the partner: they hold no seat or block here.
    private int _moved;
    private bool _closed;
    private bool _disposed;
    private Exception? _fault;
    private long _tokensGenerated;
    private long _stepsRun;
    private double _stepSeconds;

    /// <param name="engine">The engine over the image being filled.</param>
    /// <param name="policy">Batching limits (tokens per step, running requests) and the KV store's blocks.</param>
    /// <param name="device">The device the steps run on.</param>
    /// <param name="eosId">The model's EOS token.</param>
    /// <param name="allocator">The KV blocks, shared with the full server that follows.</param>
    /// <param name="options">The ZigZag limits.</param>
    /// <param name="time">The scheduler's clock.</param>
    /// <param name="partner">The LiveOld partner.</param>
    /// <param name="usableLayers">Layers that may run here now: the landed prefix, and the last layer only once the head has landed too.</param>
    public LiveServer(ILayerEngine engine, BatchPolicy policy, DeviceExecutor device, int eosId, KvBlockAllocator allocator, ZigZagOptions options,
        TimeProvider time, ILivePartner partner, Func<int> usableLayers)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();
        _engine = engine;
        _device = device;
        _allocator = allocator;
        _policy = policy;
        _eosId = eosId;
        _numLayers = engine.Config.NumLayers;
        _partner = partner;
        _partners[partner.Shard] = partner;
        _usableLayers = usableLayers;
        _move = options.Move;
        _scheduler = new ZigZagScheduler(_numLayers, options, time);
        _ledger = new LiveLedger(time);
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>Completes once the server is closed and its last request has ended.</summary>
    public Task Idle => _idle.Task;

    /// <summary>The requests this server took so far: how they were served and how long they waited (<see cref="LiveLedger"/>).</summary>
    public LiveLedgerSummary Ledger
    {
        get { lock (_gate) return _ledger.Summary(); }
    }

    /// <summary>Split requests at once, now.</summary>
    public int SplitLimit
    {
        get { lock (_gate) return _scheduler.Limit; }
    }

    /// <summary>
    /// The load right now (waiting: not yet through any layer or waiting for blocks), with the autoscaler's signals for every
    /// request that came here, split or not: the prompts of those without a first token (queued prefill) and the tokens held
    /// by those past it (running decode). The LiveOld counts none of its split tails, so each request counts once, here.
    /// </summary>
    /// <remarks>
    /// Until 6 December these signals were zero: while a pair ran, the prompts the router gave the LiveNew (prefill-heavy ones
    /// first) left the autoscaler's prefill load. In bench replay at e255cf1 blitz then scaled to 3 GPUs where blitz-fast and
    /// allcache, whose backlog stayed counted, scaled to 4.
    /// </remarks>
    public InstanceStats Stats
    {
        get
        {
            lock (_gate)
            {
                int waiting = _waitingForBlocks.Count + _order.Count(e => e.Admitted && e.Split is null && e.Output.Count == 0);
                long queuedPrefill = 0, runningDecode = 0;
                foreach (var entry in _entries.Values)
                {
                    if (entry.Output.Count == 0) queuedPrefill += entry.PromptLength;
                    else runningDecode += entry.PromptLength + entry.Output.Count;
                }
                return new InstanceStats(waiting, _entries.Count - waiting, _allocator.UsedBlocks, _allocator.TotalBlocks, _tokensGenerated, _stepsRun,
                    queuedPrefill, runningDecode, StepSeconds: _stepSeconds);
            }
        }
    }

    /// <summary>Serves <paramref name="request"/> as <see cref="InstanceServer.GenerateAsync"/> does.</summary>
    /// <exception cref="LiveServerClosedException">The load has completed: the full server takes new requests.</exception>
    /// <exception cref="RequestRejectedException">The request can never run on this instance.</exception>
    public async IAsyncEnumerable<ServedToken> GenerateAsync(ServingRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var entry = Submit(request);
        try
        {
            await foreach (var token in entry.Stream.ReadAsync(cancellationToken).ConfigureAwait(false)) yield return token;
        }
        finally
        {
            Leave(entry);
            await entry.Stream.Released.ConfigureAwait(false);
        }
    }

    /// <summary>More layers have landed: requests waiting for them may advance.</summary>
    public void LayersLanded() => _wake.Writer.TryWrite(true);

    /// <summary>
    /// The partner <paramref name="puller"/> (the current one when null) has room: hands it the earliest blocked request, which is
    /// split from now on and runs its tail there, and says which (so the partner reserves its blocks at once); null when none is
    /// blocked or the live limit is reached, while the landed layers here end before <paramref name="fromLayer"/>, where a
    /// LiveTail partner's begin (it could not run the layers between), or when <paramref name="puller"/> is no partner of this one.
    /// </summary>
    public LivePull? HandOver(int fromLayer, string? puller = null)
    {
        LiveEntry entry;
        SplitWork work;
        lock (_gate)
        {
            if (_disposed || _fault is not null) return null;
            var partner = puller is null ? _partner : _partners.GetValueOrDefault(puller);
            if (partner is null) return null;
            int usable = _usableLayers();
            if (usable < fromLayer) return null;
            var pulled = _scheduler.Pull(usable);
            if (pulled is null) return null;
            entry = _entries[pulled.Id];
            int split = pulled.SplitLayer!.Value;
            work = new SplitWork(entry.Id, 0, entry.PromptLength, split, entry.Hidden!, entry.Request.Sampling, entry.Positions);
            entry.Hidden = null;
            entry.Split = split;
            entry.Partner = partner;
            entry.RemoteBusy = true;
            _ledger.Pulled(entry.Id, split);
            OfferLocked();
        }
        _ = RunRemoteAsync(entry, work);
        return new LivePull(work.RequestId, work.FirstLayer, work.Positions);
    }

    /// <summary>
    /// <paramref name="partner"/> becomes the current partner: a LiveTail this instance now covers the model with (loads in
    /// complementary orders), or a busy instance again after a LiveTail left. Offers go to it from now on; the requests the one
    /// before pulled run their tails there to their end, and it may still pull until told the pair ended. Keys and values move
    /// no more (a LiveTail lacks the first layers).
    /// </summary>
    public void SwitchTo(ILivePartner partner)
    {
        ArgumentNullException.ThrowIfNull(partner);
        lock (_gate)
        {
            _partners[partner.Shard] = partner;
            _partner = partner;
            _move = SplitMove.Never;
            _offered = -1;
            OfferLocked();
        }
    }

    /// <summary>Whether <paramref name="shard"/> is the partner offers go to now.</summary>
    public bool IsCurrentPartner(string shard)
    {
        lock (_gate) return string.Equals(_partner.Shard, shard, StringComparison.Ordinal);
    }

    /// <summary>Takes no new requests from now on; those here finish.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            if (_entries.Count == 0) _idle.TrySetResult();
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Stops the loop, then fails the outstanding requests with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _closed = true;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var entry in _order.ToArray()) End(entry, new ObjectDisposedException(nameof(LiveServer)));
        }
        _idle.TrySetResult();
        _stop.Dispose();
    }

    private LiveEntry Submit(ServingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var config = _engine.Config;
        for (int i = 0; i < request.PromptIds.Length; i++)
        {
            if ((uint)request.PromptIds[i] >= (uint)config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(request), $"request \"{request.Id}\": prompt token {i} is {request.PromptIds[i]}, outside the vocabulary of {config.VocabSize}");
        }
        int positions = request.PromptIds.Length + request.MaxTokens;
        if (positions > config.MaxPositionEmbeddings)
        {
            throw new RequestRejectedException(AdmitStatus.ExceedsContext,
                $"request \"{request.Id}\": the model's context is {config.MaxPositionEmbeddings} tokens, but {positions} were requested");
        }
        if (_allocator.BlocksFor(positions) > _allocator.TotalBlocks)
        {
            throw new RequestRejectedException(AdmitStatus.ExceedsKvCache,
                $"request \"{request.Id}\" needs {_allocator.BlocksFor(positions)} KV blocks of {_allocator.BlockSize} positions, the instance has {_allocator.TotalBlocks}");
        }
        var entry = new LiveEntry(request, new RequestStream(new ServingSequence(request.Id, request.PromptIds, request.MaxTokens, request.StopAtEos),
            new Sampler(request.Sampling), request));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_closed) throw new LiveServerClosedException();
            if (_fault is not null) throw new InvalidOperationException("the live instance's serving loop has failed", _fault);
            if (!_entries.TryAdd(request.Id, entry))
                throw new RequestRejectedException(AdmitStatus.DuplicateId, $"request \"{request.Id}\" is already waiting or running");
            _order.Add(entry);
            _waitingForBlocks.AddLast(entry);
            _ledger.Arrived(entry.Id);
        }
        _wake.Writer.TryWrite(true);
        return entry;
    }

    private void Leave(LiveEntry entry)
    {
        lock (_gate)
        {
            if (entry.Ended) return;
            if (entry.InStep) entry.CancelRequested = true;
            else End(entry, null);
        }
        _wake.Writer.TryWrite(true);
    }

    private async Task ServeAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                LiveStep? step;
                lock (_gate) step = NextStep();
                if (step is null)
                {
                    await _wake.Reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                    continue;
                }
                LiveStepResult? result = null;
                Exception? failure = null;
                long started = Stopwatch.GetTimestamp();
                try
                {
                    result = await _device.RunAsync(() => Execute(step)).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    failure = e;
                }
                List<(LiveEntry, SplitWork)> remote;
                lock (_gate)
                {
                    _stepSeconds += Stopwatch.GetElapsedTime(started).TotalSeconds;
                    remote = result is not null ? Complete(step, result) : Fail(step, failure!);
                }
                foreach (var (entry, work) in remote) _ = RunRemoteAsync(entry, work);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            lock (_gate)
            {
                _fault = e;
                foreach (var entry in _order.ToArray()) End(entry, new InvalidOperationException("the live instance's serving loop has failed", e));
            }
        }
    }

    // Decodes due first (they are running requests), then advances through the landed layers; under the lock.
    private LiveStep? NextStep()
    {
        int usable = _usableLayers();
        _scheduler.ObserveLoad(usable);
        AdmitWaiting();
        var items = new List<LiveItem>();
        int budget = _policy.MaxBatchTokens;
        foreach (var entry in _order)
        {
            if (!entry.DecodeDue || entry.RemoteBusy || entry.InStep || entry.Moved) continue;
            int end = entry.Split ?? _numLayers;
            // A local request runs its last layer only once the head has landed too.
            if (end == _numLayers && usable < _numLayers) continue;
            items.Add(new LiveItem(entry, Advance: false, entry.DecodePosition, 1, 0, end, [entry.Output[^1]], null));
            budget--;
        }
        if (budget > 0)
        {
            foreach (var advance in _scheduler.PlanAdvance(usable, budget))
            {
                var entry = _entries[advance.Id];
                // The first step that includes the request ends its wait, as on the full server.
                entry.Stream.Scheduled();
                var input = advance.FromLayer == 0 ? null : entry.Hidden;
                int[] ids = advance.FromLayer == 0 ? entry.Request.PromptIds : new int[entry.PromptLength];
                items.Add(new LiveItem(entry, Advance: true, 0, entry.PromptLength, advance.FromLayer, advance.EndLayer, ids, input));
            }
        }
        OfferLocked();
        if (items.Count == 0) return null;
        foreach (var item in items) item.Entry.InStep = true;
        return new LiveStep(items);
    }

    // Reserves blocks for waiting requests in arrival order while seats and blocks last (no overtaking); under the lock.
    private void AdmitWaiting()
    {
        while (_waitingForBlocks.First is { } head)
        {
            var entry = head.Value;
            if (_entries.Count - _waitingForBlocks.Count - _moved >= _policy.MaxRunningSequences) return;
            if (!_allocator.TryReserve(entry.Kv, entry.Positions)) return;
            _waitingForBlocks.RemoveFirst();
            entry.Admitted = true;
            _scheduler.Admit(entry.Id, entry.PromptLength);
        }
    }

    // One forward pass: every item's own layer range; sampled tokens where the range ends at the last layer, the hidden rows
    // elsewhere. On the device thread.
    private LiveStepResult Execute(LiveStep step)
    {
        var items = step.Items;
        // Row of each item's first token in the step's hidden states.
        var starts = new int[items.Count + 1];
        for (int i = 0; i < items.Count; i++) starts[i + 1] = starts[i] + items[i].Count;
        var ids = new int[starts[^1]];
        for (int i = 0; i < items.Count; i++) items[i].TokenIds.CopyTo(ids, starts[i]);
        var hidden = _engine.Embed(ids);
        var segments = new BatchSegment[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            item.Input?.Data.CopyTo(hidden.Data.AsSpan(starts[i] * hidden.Width));
            segments[i] = new BatchSegment(item.Entry.Kv.Blocks, item.Start, item.Count, item.FirstLayer, item.EndLayer);
        }
        _engine.RunLayers(new Batch(segments), hidden);

        var sampled = new int[items.Count];
        var rows = new HiddenStates?[items.Count];
        var heads = new List<int>();
        for (int i = 0; i < items.Count; i++)
        {
            sampled[i] = -1;
            if (items[i].EndLayer == _numLayers) heads.Add(i);
            else rows[i] = HiddenRows.Copy(hidden, starts[i], items[i].Count);
        }
        if (heads.Count > 0) SampleHeads(items, hidden, starts, heads, sampled);
        return new LiveStepResult(sampled, rows);
    }

    // Head and sampling for the items that ran the last layer: the head reads only each one's last row.
    private void SampleHeads(IReadOnlyList<LiveItem> items, HiddenStates hidden, int[] starts, List<int> heads, int[] sampled)
    {
        var last = new HiddenStates(heads.Count, hidden.Width);
        var segments = new BatchSegment[heads.Count];
        for (int h = 0; h < heads.Count; h++)
        {
            var item = items[heads[h]];
            hidden.Row(starts[heads[h] + 1] - 1).CopyTo(last.Row(h));
            segments[h] = new BatchSegment(item.Entry.Kv.Blocks, item.Start + item.Count - 1, 1, item.FirstLayer, item.EndLayer);
        }
        float[] logits = _engine.Head(new Batch(segments), last);
        int vocab = _engine.Config.VocabSize;
        for (int h = 0; h < heads.Count; h++)
            sampled[heads[h]] = items[heads[h]].Entry.Stream.Sampler.Sample(logits.AsSpan(h * vocab, vocab));
    }

    // Records a step that ran; returns the split steps to hand to the partner. Under the lock.
    private List<(LiveEntry, SplitWork)> Complete(LiveStep step, LiveStepResult result)
    {
        _stepsRun++;
        var remote = new List<(LiveEntry, SplitWork)>();
        for (int i = 0; i < step.Items.Count; i++)
        {
            var item = step.Items[i];
            var entry = item.Entry;
            entry.InStep = false;
            bool advance = item.Advance;
            if (advance) _scheduler.Advanced(entry.Id);
            if (entry.CancelRequested)
            {
                End(entry, null);
                continue;
            }
            entry.Kv.Length = item.Start + item.Count;
            if (result.Sampled[i] >= 0)
            {
                Accept(entry, result.Sampled[i]);
            }
            else if (advance)
            {
                entry.Hidden = result.Rows[i];
                _ledger.RanLanded(entry.Id);
            }
            else
            {
                // A split decode step: its row goes to the partner, which samples.
                entry.DecodeDue = false;
                entry.RemoteBusy = true;
                remote.Add((entry, new SplitWork(entry.Id, item.Start, 1, entry.Split!.Value, result.Rows[i]!, entry.Request.Sampling, entry.Positions)));
            }
        }
        OfferLocked();
        return remote;
    }

    // The device could not run the step: its requests fail (their KV is in an unknown state). Under the lock.
    private List<(LiveEntry, SplitWork)> Fail(LiveStep step, Exception failure)
    {
        foreach (var item in step.Items)
        {
            item.Entry.InStep = false;
            End(item.Entry, item.Entry.CancelRequested ? null : failure);
        }
        return [];
    }

    // Runs split steps on the partner, one after another once the request is moved (its steps need nothing from this instance's
    // device), and moves its keys and values when the move rule says so.
    private async Task RunRemoteAsync(LiveEntry entry, SplitWork work)
    {
        for (SplitWork? next = work; next is not null;)
        {
            int token;
            try
            {
                token = await entry.Partner!.RunSplitAsync(next, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                lock (_gate)
                {
                    entry.RemoteBusy = false;
                    if (!entry.Ended)
                    {
                        // The partner (its silo, its link) is gone with layers this instance does not hold: the request was not
                        // wrong, it lost half its instance, and the caller resumes it elsewhere (ShardGeneration makes it a loss).
                        string layers = entry.Moved ? "every layer" : $"layers [{next.FirstLayer}, {_numLayers})";
                        End(entry, entry.CancelRequested ? null : new LivePartnerLostException(
                            $"request \"{entry.Id}\": the live partner could not run {layers}: {e.Message}", e));
                    }
                }
                _wake.Writer.TryWrite(true);
                return;
            }
            bool move = false;
            lock (_gate)
            {
                entry.RemoteBusy = false;
                next = null;
                if (entry.Ended) return;
                if (entry.CancelRequested) End(entry, null);
                else
                {
                    Accept(entry, token);
                    if (!entry.Ended && entry.Moved) next = NextMovedStep(entry);
                    else if (!entry.Ended && !_disposed && entry.Split is not null && SplitMoves.Due(_move, entry.Output.Count == 1, _waitingForBlocks.Count))
                    {
                        // Its keys and values go to the partner before its next step.
                        entry.DecodeDue = false;
                        entry.RemoteBusy = true;
                        entry.InStep = true;
                        move = true;
                    }
                }
            }
            _wake.Writer.TryWrite(true);
            if (move) next = await MoveAsync(entry).ConfigureAwait(false);
        }
    }

    // The next step of a moved request, which the partner runs whole from its token; under the lock.
    private SplitWork NextMovedStep(LiveEntry entry)
    {
        entry.DecodeDue = false;
        entry.RemoteBusy = true;
        return new SplitWork(entry.Id, entry.DecodePosition, 1, 0, null, entry.Request.Sampling, entry.Positions, TokenId: entry.Output[^1]);
    }

    // Reads the request's keys and values of [0, j) for the positions computed so far, hands them to the partner, and frees its seat and blocks
    // here; returns its next step (to the partner, whole). When the move fails the request stays split as it was (its keys and
    // values here are intact) and null is returned: its next step runs here. The caller set InStep (its blocks stay its own
    // while they are read) and RemoteBusy.
    private async Task<SplitWork?> MoveAsync(LiveEntry entry)
    {
        // Every position up to its newest token's: the prompt, and the tokens decoded split so far.
        var slice = new KvSlice(entry.DecodePosition, 0, entry.Split!.Value);
        HiddenStates? kv = null;
        try
        {
            kv = await _device.RunAsync(() =>
            {
                var rows = new HiddenStates(checked((int)slice.Rows), _engine.Config.KvDim);
                _engine.ReadKv(entry.Kv.Blocks, slice, rows.Data);
                return rows;
            }).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Not read (the device failed, or this server stops): the request goes on split, or ends with the server.
        }
        lock (_gate)
        {
            entry.InStep = false;
            if (entry.Ended)
            {
                // Ended while its blocks were read (End left them): they are free now.
                _allocator.Release(entry.Kv);
                return null;
            }
            if (EndIfCancelled(entry)) return null;
            if (kv is null) return StaySplit(entry);
        }
        bool moved = false;
        try
        {
            await entry.Partner!.MoveKvAsync(new MovedKv(entry.Id, slice, kv), _stop.Token).ConfigureAwait(false);
            moved = true;
        }
        catch (Exception)
        {
            // The partner could not take them (its write failed, the link did, or the request ended there): its keys and values
            // for [j, L) are still there, so the request stays split; a partner that is gone fails its next step.
        }
        lock (_gate)
        {
            if (entry.Ended) return null;
            if (EndIfCancelled(entry)) return null;
            if (!moved) return StaySplit(entry);
            entry.Moved = true;
            _moved++;
            _allocator.Release(entry.Kv);
            _scheduler.Moved(entry.Id);
            _ledger.Moved(entry.Id);
            // Its seat and blocks here may take a waiting request.
            _wake.Writer.TryWrite(true);
            return NextMovedStep(entry);
        }
    }

    // A request whose caller left during its move ends now (its move's work is done or abandoned). Under the lock.
    private bool EndIfCancelled(LiveEntry entry)
    {
        if (!entry.CancelRequested) return false;
        entry.RemoteBusy = false;
        End(entry, null);
        return true;
    }

    // The move did not happen: the request's next split step runs here as before. Under the lock.
    private SplitWork? StaySplit(LiveEntry entry)
    {
        entry.RemoteBusy = false;
        entry.DecodeDue = true;
        _wake.Writer.TryWrite(true);
        return null;
    }

    // A sampled token: streamed, and the request ends at EOS or max tokens; otherwise its next decode step is due. Under the lock.
    private void Accept(LiveEntry entry, int token)
    {
        int index = entry.Output.Count;
        if (index == 0) _ledger.FirstToken(entry.Id);
        var finish = FinishRule.After(token, index, entry.Request.MaxTokens, entry.Request.StopAtEos, _eosId);
        if (finish == ServingFinishReason.Eos) token = -1;
        else
        {
            entry.Output.Add(token);
            _tokensGenerated++;
        }
        entry.Stream.Deliver(token, index, finish);
        if (finish is not null) End(entry, null);
        else entry.DecodeDue = true;
    }

    // The request leaves: its blocks here and on the partner are freed and its stream ends. Under the lock.
    private void End(LiveEntry entry, Exception? error)
    {
        if (entry.Ended) return;
        entry.Ended = true;
        if (entry.Moved) _moved--;
        _ledger.Ended(entry.Id);
        _entries.Remove(entry.Id);
        _order.Remove(entry);
        if (!entry.Admitted) _waitingForBlocks.Remove(entry);
        _scheduler.Remove(entry.Id);
        if (entry.Admitted && !entry.InStep) _allocator.Release(entry.Kv);
        else if (entry.Admitted) entry.CancelRequested = true;
        // A split request has the partner that pulled it (HandOver sets both together).
        if (entry.Split is not null) _ = entry.Partner!.EndSplitAsync(entry.Id);
        entry.Hidden = null;
        entry.Stream.Close(error);
        if (_closed && _entries.Count == 0) _idle.TrySetResult();
    }

    // Tells the partner how many requests wait for it, when that changes. Under the lock.
    private void OfferLocked()
    {
        int usable = _usableLayers();
        int blocked = 0;
        foreach (var entry in _order)
        {
            if (_scheduler.Find(entry.Id) is { State: LiveRequestState.Queued } request && request.Progress == usable && usable > 0 && usable < _numLayers)
                blocked++;
        }
        if (blocked == _offered) return;
        _offered = blocked;
        _partner.Offer(blocked);
    }

    private sealed record LiveItem(LiveEntry Entry, bool Advance, int Start, int Count, int FirstLayer, int EndLayer, int[] TokenIds, HiddenStates? Input);

    private sealed record LiveStep(IReadOnlyList<LiveItem> Items);

    private sealed record LiveStepResult(int[] Sampled, HiddenStates?[] Rows);
}

/// <summary>The live server takes no new requests: the instance has loaded, and its full server takes them.</summary>
internal sealed class LiveServerClosedException() : InvalidOperationException("the instance has finished loading; its full server takes new requests");

/// <summary>A split request's partner could not run its layers (it died, or its link did): the request lost its instance.</summary>
internal sealed class LivePartnerLostException(string message, Exception inner) : InvalidOperationException(message, inner);
