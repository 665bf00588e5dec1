using System.Runtime.CompilerServices;
using System.Threading.Channels;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Serving;
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
/// The loop is a task, not a thread: it only plans and delivers, and awaits the device for compute. It sleeps
/// on a signal when idle. Every batcher call and every write to a request's stream happens under one lock, so
/// a request leaves the batcher and its stream ends together.
/// </remarks>
public sealed class InstanceServer : IAsyncDisposable
{
    private readonly ILayerEngine _engine;
    private readonly DeviceExecutor _device;
    private readonly ContinuousBatcher _batcher;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RequestStream> _streams = new(StringComparer.Ordinal);
    // Capacity 1, extra signals dropped: any number of submissions while the loop is busy wake it once.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _tokensGenerated;
    private long _stepsRun;
    private bool _disposed;
    private Exception? _fault;

    /// <summary>
    /// Serves <paramref name="engine"/> (all layers loaded) on <paramref name="device"/>; it owns neither. The policy's KV
    /// blocks and block size must be the engine's KV store's.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The policy is invalid.</exception>
    /// <exception cref="ArgumentException">The policy's KV blocks or block size differ from the engine's store.</exception>
    /// <exception cref="InvalidOperationException">The engine does not hold every layer.</exception>
    public InstanceServer(ILayerEngine engine, BatchPolicy policy, DeviceExecutor device, int eosId)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(device);
        policy.Validate();
        var config = engine.Config;
        if (engine.LoadedLayers < config.NumLayers)
            throw new InvalidOperationException($"only {engine.LoadedLayers} of {config.NumLayers} layers are loaded");
        var kv = engine.KvShape;
        if (policy.KvBlocks != kv.Blocks || policy.BlockSize != kv.BlockSize)
        {
            throw new ArgumentException(
                $"the batch policy plans {policy.KvBlocks} KV blocks of {policy.BlockSize} positions, but the engine's KV store has " +
                $"{kv.Blocks} blocks of {kv.BlockSize}", nameof(policy));
        }
        _engine = engine;
        _device = device;
        _batcher = new ContinuousBatcher(policy, config.NumLayers, config.MaxPositionEmbeddings, eosId);
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
                return new InstanceStats(_batcher.Waiting, _batcher.Running, _batcher.KvBlocksUsed, _batcher.KvBlocksTotal,
                    _tokensGenerated, _stepsRun);
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
            var tokens = stream.Tokens;
            while (await tokens.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (tokens.TryRead(out var token))
                {
                    // Buffered tokens must not outlive a cancellation: the next MoveNextAsync throws.
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return token;
                }
            }
        }
        finally
        {
            await LeaveAsync(stream).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the loop after the step in progress, then fails the outstanding requests with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _stop.Cancel();
        await _loop.ConfigureAwait(false);
        lock (_gate) CloseAll(new ObjectDisposedException(nameof(InstanceServer)));
        _stop.Dispose();
    }

    private RequestStream Submit(ServingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.PromptIds, nameof(request));
        ArgumentNullException.ThrowIfNull(request.Sampling, nameof(request));
        int vocab = _engine.Config.VocabSize;
        for (int i = 0; i < request.PromptIds.Length; i++)
        {
            // Checked here, not in the engine, so one bad prompt cannot fail the step of every request batched with it.
            if ((uint)request.PromptIds[i] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(request), $"request \"{request.Id}\": prompt token {i} is {request.PromptIds[i]}, outside the vocabulary of {vocab}");
        }
        var stream = new RequestStream(
            new ServingSequence(request.Id, request.PromptIds, request.MaxTokens, request.StopAtEos),
            new Sampler(request.Sampling));
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
            if (_streams.TryGetValue(id, out var current) && ReferenceEquals(current, stream)
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
                lock (_gate) step = NextStep();
                if (step is null)
                {
                    await _wake.Reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                    continue;
                }
                int[]? sampled = null;
                Exception? failure = null;
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
                    if (sampled is not null) Deliver(_batcher.Complete(step.Plan, sampled));
                    else FailStep(step.Plan, failure!);
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
        var plan = _batcher.Plan();
        if (plan is null) return null;
        var samplers = new Sampler?[plan.Segments.Count];
        for (int i = 0; i < samplers.Length; i++)
        {
            var segment = plan.Segments[i];
            var stream = _streams[segment.Sequence.Id];
            stream.Scheduled();
            if (segment.Sample) samplers[i] = stream.Sampler;
        }
        return new Step(plan, ToBatch(plan), samplers);
    }

    // The engine's batch of a plan: each segment's block table as it is (no copy), its positions and its layer range.
    private static Batch ToBatch(StepPlan plan)
    {
        var segments = new BatchSegment[plan.Segments.Count];
        for (int i = 0; i < segments.Length; i++)
        {
            var s = plan.Segments[i];
            segments[i] = new BatchSegment(s.Sequence.Kv.Blocks, s.Start, s.Count, s.FirstLayer, s.EndLayer);
        }
        return new Batch(segments);
    }

    // One forward pass over the whole batch; on the device thread.
    private int[] Execute(Step step)
    {
        int vocab = _engine.Config.VocabSize;
        var hidden = _engine.Embed(step.Plan.TokenIds);
        _engine.RunLayers(step.Batch, hidden);
        float[] logits = _engine.Head(step.Batch, hidden);
        var sampled = new int[step.Samplers.Length];
        for (int i = 0; i < sampled.Length; i++)
            sampled[i] = step.Samplers[i] is { } sampler ? sampler.Sample(logits.AsSpan(i * vocab, vocab)) : -1;
        return sampled;
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
                stream.Deliver(e.TokenId, e.Index, e.Finish);
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

    // Ends every request of a step the device could not run; under the lock.
    private void FailStep(StepPlan plan, Exception failure)
    {
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
        foreach (var stream in _streams.Values)
        {
            _batcher.Cancel(stream.Sequence.Id);
            stream.Close(error);
        }
        _streams.Clear();
    }

    private sealed record Step(StepPlan Plan, Batch Batch, Sampler?[] Samplers);
}
