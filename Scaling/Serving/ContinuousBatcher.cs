
namespace BlitzScale.Scaling.Serving;

/// <summary>
/// The scheduler of one instance: it alone owns request state and KV accounting, and each step returns a plan
/// that an executor runs and reports back on (schedule, execute, complete). Pure: no threads, no clocks, no
/// engine; not thread-safe, so its owner serializes calls. Every segment it plans runs decoder layers
/// [0, numLayers) for now; live scaling will plan other ranges.
/// </summary>
/// <remarks>
/// <para>Blocks are reserved for prompt + max tokens at admission, so a running sequence never runs out and
/// nothing is ever preempted; the price is that admission is conservative.</para>
/// <para>At most one plan is in flight: <see cref="Plan"/> refuses to plan again before the previous plan was
/// completed or aborted. A running sequence cancelled while its plan executes is only marked, and its blocks
/// are freed when that plan completes; so blocks the engine is writing are never handed to another sequence.</para>
/// </remarks>
public sealed class ContinuousBatcher
{
    private readonly BatchPolicy _policy;
    private readonly int _contextLength;
    private readonly int _eosId;
    private readonly int _numLayers;
    private readonly KvBlockAllocator _allocator;
    private readonly LinkedList<ServingSequence> _waiting = new();
    private readonly List<ServingSequence> _running = [];
    private readonly Dictionary<string, ServingSequence> _active = new(StringComparer.Ordinal);
    private readonly List<PlannedSegment> _segments = [];
    private StepPlan? _inFlight;
    private long _steps;

    /// <summary>
    /// A batcher for a model of <paramref name="numLayers"/> decoder layers and <paramref name="contextLength"/> positions
    /// whose EOS token is <paramref name="eosId"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The policy is invalid, or the context or the layers are not positive.</exception>
    public ContinuousBatcher(BatchPolicy policy, int numLayers, int contextLength, int eosId)
        : this(policy, numLayers, contextLength, eosId, allocator: null)
    {
    }

    /// <summary>
    /// A batcher that takes its KV blocks from <paramref name="allocator"/>, shared with another scheduler of the same KV store
    /// (a live-scaled instance's earlier requests); a new allocator of the policy's blocks when null.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The policy is invalid, or the context or the layers are not positive.</exception>
    /// <exception cref="ArgumentException">The allocator's blocks or block size differ from the policy's.</exception>
    public ContinuousBatcher(BatchPolicy policy, int numLayers, int contextLength, int eosId, KvBlockAllocator? allocator)
    {
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numLayers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(contextLength);
        _policy = policy;
        _numLayers = numLayers;
        _contextLength = contextLength;
        _eosId = eosId;
        _allocator = allocator ?? new KvBlockAllocator(policy.KvBlocks, policy.BlockSize);
        if (_allocator.TotalBlocks != policy.KvBlocks || _allocator.BlockSize != policy.BlockSize)
        {
            throw new ArgumentException(
                $"the allocator has {_allocator.TotalBlocks} blocks of {_allocator.BlockSize} positions, the policy {policy.KvBlocks} of {policy.BlockSize}",
                nameof(allocator));
        }
    }

    /// <summary>The KV blocks this batcher reserves from; a live partner's split requests reserve from it too.</summary>
    public KvBlockAllocator Allocator => _allocator;

    /// <summary>The policy.</summary>
    public BatchPolicy Policy => _policy;
    /// <summary>Requests queued, owning no blocks.</summary>
    public int Waiting => _waiting.Count;
    /// <summary>Requests admitted (prefilling or decoding).</summary>
    public int Running => _running.Count;
    /// <summary>KV blocks owned by running requests.</summary>
    public int KvBlocksUsed => _allocator.UsedBlocks;
    /// <summary>KV blocks of the instance.</summary>
    public int KvBlocksTotal => _allocator.TotalBlocks;
    /// <summary>Prompt tokens not yet prefilled: waiting requests' whole prompts and running requests' rest (the autoscaler's prefill load).</summary>
    public long QueuedPrefillTokens
    {
        get
        {
            long tokens = 0;
            foreach (var sequence in _waiting) tokens += sequence.PromptLength;
            foreach (var sequence in _running)
            {
                if (!sequence.PrefillDone) tokens += sequence.PromptLength - sequence.NumComputedTokens;
            }
            return tokens;
        }
    }

    /// <summary>Tokens held by running requests past their prefill (the autoscaler's decode load).</summary>
    public long RunningDecodeTokens
    {
        get
        {
            long tokens = 0;
            foreach (var sequence in _running)
            {
                if (sequence.PrefillDone) tokens += sequence.TotalTokens;
            }
            return tokens;
        }
    }

    /// <summary>Whether a plan is being executed.</summary>
    public bool HasPlanInFlight => _inFlight is not null;

    /// <summary>Queues a request, or says why it can never run on this instance.</summary>
    /// <exception cref="ArgumentException">The sequence was already given to a batcher.</exception>
    public AdmitResult TryEnqueue(ServingSequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (sequence.State != SequenceState.Created)
            throw new ArgumentException($"request \"{sequence.Id}\" is already {sequence.State}", nameof(sequence));
        int positions = sequence.PromptLength + sequence.MaxTokens;
        if (positions > _contextLength)
        {
            return new AdmitResult(AdmitStatus.ExceedsContext,
                $"request \"{sequence.Id}\": the model's context is {_contextLength} tokens, but {positions} were requested " +
                $"({sequence.PromptLength} in the prompt, {sequence.MaxTokens} to generate)");
        }
        int blocks = _allocator.BlocksFor(positions);
        if (blocks > _allocator.TotalBlocks)
        {
            return new AdmitResult(AdmitStatus.ExceedsKvCache,
                $"request \"{sequence.Id}\" needs {blocks} KV blocks of {_allocator.BlockSize} positions, the instance has " +
                $"{_allocator.TotalBlocks} ({sequence.PromptLength} in the prompt, {sequence.MaxTokens} to generate)");
        }
        if (!_active.TryAdd(sequence.Id, sequence))
            return new AdmitResult(AdmitStatus.DuplicateId, $"request \"{sequence.Id}\" is already waiting or running");
        sequence.State = SequenceState.Waiting;
        sequence.QueueNode = _waiting.AddLast(sequence);
        return AdmitResult.Queued;
    }

    /// <summary>Decides the next step, or returns null when nothing waits or runs.</summary>
    /// <remarks>
    /// <code>
    /// budget: | decode ×1 per prefilled running seq | rest of partial prefills | new admissions, FIFO … |
    ///         └─────────── admission order ────────┘                          └ until budget, seats or blocks run out
    /// </code>
    /// A waiting request is admitted only if the blocks for its prompt and all its tokens can be reserved now;
    /// if the head of the queue cannot get them, the requests behind it wait too (no overtaking). A prompt longer
    /// than the budget left is prefilled in chunks over several steps; only its last chunk samples.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The previous plan has not been completed or aborted.</exception>
    public StepPlan? Plan() => Plan(int.MaxValue);

    /// <summary>
    /// As <see cref="Plan()"/>, with at most <paramref name="promptTokens"/> prompt tokens (chunks of running prompts and new
    /// admissions) in the step; every running request's decode row still runs. 0 plans decodes only: a live pair's LiveOld
    /// gives a split prompt's tail, which costs it only the layers its partner lacks, the step ahead of its own prompts.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="promptTokens"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The previous plan has not been completed or aborted.</exception>
    public StepPlan? Plan(int promptTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(promptTokens);
        if (_inFlight is not null)
            throw new InvalidOperationException($"step {_inFlight.Number} is still executing: complete or abort it before planning the next");
        if (_running.Count == 0 && _waiting.Count == 0) return null;

        _segments.Clear();
        int budget = _policy.MaxBatchTokens;
        foreach (var sequence in _running)
        {
            if (sequence.PrefillDone)
            {
                _segments.Add(new PlannedSegment(sequence, sequence.NumComputedTokens, 1, Sample: true, 0, _numLayers));
                budget--;
            }
        }
        // Decodes are never held back; prompt tokens stop at the smaller of the budget left and the cap.
        int prompts = Math.Min(budget, promptTokens);
        foreach (var sequence in _running)
        {
            if (prompts == 0) break;
            if (!sequence.PrefillDone) prompts -= AddPrefillChunk(sequence, prompts);
        }
        while (prompts > 0 && _running.Count < _policy.MaxRunningSequences && _waiting.First is { } head)
        {
            var sequence = head.Value;
            if (!_allocator.TryReserve(sequence.Kv, sequence.PromptLength + sequence.MaxTokens)) break;
            _waiting.RemoveFirst();
            sequence.QueueNode = null;
            sequence.State = SequenceState.Running;
            _running.Add(sequence);
            prompts -= AddPrefillChunk(sequence, prompts);
        }
        if (_segments.Count == 0) return null;
        return _inFlight = Seal();
    }

    /// <summary>
    /// Records that <paramref name="plan"/> ran: computed tokens advance, sampled tokens are appended, and
    /// sequences that end (EOS when they stop at it, max tokens, or cancelled meanwhile) free their blocks.
    /// </summary>
    /// <param name="plan">The plan returned by the last <see cref="Plan"/>.</param>
    /// <param name="sampledTokens">One entry per segment, in plan order; entries of segments that do not sample are ignored.</param>
    /// <returns>One event per sampled or ending sequence, in plan order.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="plan"/> is not the plan in flight.</exception>
    /// <exception cref="ArgumentException">The number of sampled tokens is not the number of segments.</exception>
    public IReadOnlyList<SequenceEvent> Complete(StepPlan plan, ReadOnlySpan<int> sampledTokens)
    {
        RequireInFlight(plan);
        if (sampledTokens.Length != plan.Segments.Count)
            throw new ArgumentException($"step {plan.Number} has {plan.Segments.Count} segments, got {sampledTokens.Length} tokens", nameof(sampledTokens));
        _inFlight = null;
        var events = new List<SequenceEvent>(plan.Segments.Count);
        for (int i = 0; i < plan.Segments.Count; i++)
        {
            var (sequence, _, count, sample, _, _) = plan.Segments[i];
            sequence.InFlight = false;
            sequence.NumComputedTokens += count;
            sequence.Kv.Length = sequence.NumComputedTokens;
            if (sequence.CancelRequested)
            {
                End(sequence, SequenceState.Finished, ServingFinishReason.Cancelled);
                events.Add(new SequenceEvent(sequence, -1, sequence.OutputIds.Count, ServingFinishReason.Cancelled));
            }
            else if (sample)
            {
                events.Add(Accept(sequence, sampledTokens[i]));
            }
        }
        _running.RemoveAll(static s => s.State != SequenceState.Running);
        return events;
    }

    /// <summary>
    /// Records that <paramref name="plan"/> could not be executed: its sequences' cache entries are in an unknown
    /// state, so every sequence in it fails and frees its blocks. Others are untouched.
    /// </summary>
    /// <returns>The failed sequences (a cancelled one among them ends as cancelled instead and is not listed).</returns>
    /// <exception cref="InvalidOperationException"><paramref name="plan"/> is not the plan in flight.</exception>
    public IReadOnlyList<ServingSequence> Abort(StepPlan plan)
    {
        RequireInFlight(plan);
        _inFlight = null;
        var failed = new List<ServingSequence>(plan.Segments.Count);
        foreach (var segment in plan.Segments)
        {
            var sequence = segment.Sequence;
            sequence.InFlight = false;
            if (sequence.CancelRequested)
            {
                End(sequence, SequenceState.Finished, ServingFinishReason.Cancelled);
                continue;
            }
            End(sequence, SequenceState.Failed, null);
            failed.Add(sequence);
        }
        _running.RemoveAll(static s => s.State != SequenceState.Running);
        return failed;
    }

    /// <summary>
    /// Cancels a request: a waiting one, or a running one outside the executing plan, ends now and frees its
    /// blocks; one in the executing plan ends when that plan completes.
    /// </summary>
    public CancelOutcome Cancel(string requestId)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        if (!_active.TryGetValue(requestId, out var sequence)) return CancelOutcome.NotFound;
        if (sequence.InFlight)
        {
            sequence.CancelRequested = true;
            return CancelOutcome.Deferred;
        }
        if (sequence.QueueNode is { } node)
        {
            _waiting.Remove(node);
            sequence.QueueNode = null;
        }
        else
        {
            _running.Remove(sequence);
        }
        End(sequence, SequenceState.Finished, ServingFinishReason.Cancelled);
        return CancelOutcome.Removed;
    }

    /// <summary>
    /// Takes the newest <paramref name="count"/> waiting requests out of this batcher (they own no blocks) so another instance
    /// serves them: they leave as if never queued here, in arrival order, and the batcher forgets them.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public IReadOnlyList<ServingSequence> TakeWaiting(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var taken = new List<ServingSequence>(Math.Min(count, _waiting.Count));
        while (taken.Count < count && _waiting.Last is { } last)
        {
            var sequence = last.Value;
            _waiting.RemoveLast();
            sequence.QueueNode = null;
            _active.Remove(sequence.Id);
            sequence.State = SequenceState.Finished;
            taken.Add(sequence);
        }
        taken.Reverse();
        return taken;
    }

    private int AddPrefillChunk(ServingSequence sequence, int budget)
    {
        int count = Math.Min(sequence.PromptLength - sequence.NumComputedTokens, budget);
        bool last = sequence.NumComputedTokens + count == sequence.PromptLength;
        _segments.Add(new PlannedSegment(sequence, sequence.NumComputedTokens, count, Sample: last, 0, _numLayers));
        return count;
    }

    private StepPlan Seal()
    {
        var segments = _segments.ToArray();
        int tokens = 0;
        foreach (var s in segments) tokens += s.Count;
        var ids = new int[tokens];
        int t = 0;
        foreach (var s in segments)
        {
            s.Sequence.InFlight = true;
            for (int p = s.Start; p < s.Start + s.Count; p++) ids[t++] = s.Sequence.TokenAt(p);
        }
        return new StepPlan(_steps++, segments, ids);
    }

    private SequenceEvent Accept(ServingSequence sequence, int token)
    {
        int index = sequence.OutputIds.Count;
        var finish = FinishRule.After(token, index, sequence.MaxTokens, sequence.StopAtEos, _eosId);
        if (finish == ServingFinishReason.Eos) token = -1;
        else sequence.Append(token);
        if (finish is not null) End(sequence, SequenceState.Finished, finish);
        return new SequenceEvent(sequence, token, index, finish);
    }

    private void End(ServingSequence sequence, SequenceState state, ServingFinishReason? reason)
    {
        sequence.State = state;
        sequence.Finish = reason;
        sequence.CancelRequested = false;
        _allocator.Release(sequence.Kv);
        _active.Remove(sequence.Id);
    }

    private void RequireInFlight(StepPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!ReferenceEquals(plan, _inFlight))
            throw new InvalidOperationException($"step {plan.Number} is not the step in flight");
    }
}
