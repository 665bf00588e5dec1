using BlitzScale.Scaling.Serving;

namespace BlitzScale.Scaling.Tests.Serving;

/// <summary>The scheduler alone: plans, KV accounting and finishing, with no engine.</summary>
public sealed class ContinuousBatcherTests
{
    private const int Eos = 2;
    private const int Context = 1024;
    private const int Layers = 6;

    /// <summary>A batcher whose running limit is, unless given, as high as the budget allows.</summary>
    private static ContinuousBatcher Batcher(int batchTokens = 512, int? running = null, int blockSize = 16, int blocks = 1024) =>
        new(new BatchPolicy
        {
            MaxBatchTokens = batchTokens,
            MaxRunningSequences = running ?? Math.Min(batchTokens, BatchPolicy.DefaultMaxRunningSequences),
            BlockSize = blockSize,
            KvBlocks = blocks,
        }, Layers, Context, Eos);

    private static ServingSequence Sequence(string id, int promptLength, int maxTokens, bool stopAtEos = true) =>
        new(id, Enumerable.Range(100, promptLength).ToArray(), maxTokens, stopAtEos);

    private static ServingSequence Enqueue(ContinuousBatcher batcher, string id, int promptLength, int maxTokens, bool stopAtEos = true)
    {
        var sequence = Sequence(id, promptLength, maxTokens, stopAtEos);
        var result = batcher.TryEnqueue(sequence);
        Assert.True(result.Accepted, result.Message);
        return sequence;
    }

    /// <summary>Plans and completes one step, sampling <paramref name="token"/> for every sampling segment.</summary>
    private static (StepPlan Plan, IReadOnlyList<SequenceEvent> Events) Step(ContinuousBatcher batcher, int token = 7)
    {
        var plan = batcher.Plan();
        Assert.NotNull(plan);
        var tokens = plan.Segments.Select(s => s.Sample ? token : -1).ToArray();
        return (plan, batcher.Complete(plan, tokens));
    }

    private static (string Id, int Start, int Count, bool Sample)[] Shape(StepPlan plan) =>
        plan.Segments.Select(s => (s.Sequence.Id, s.Start, s.Count, s.Sample)).ToArray();

    [Fact]
    public void An_idle_batcher_plans_nothing()
    {
        var batcher = Batcher();
        Assert.Null(batcher.Plan());
        Assert.Equal((0, 0, 0, 1024), (batcher.Waiting, batcher.Running, batcher.KvBlocksUsed, batcher.KvBlocksTotal));
    }

    [Fact]
    public void A_step_never_exceeds_the_token_budget_and_the_last_prompt_is_cut()
    {
        var batcher = Batcher(batchTokens: 10);
        Enqueue(batcher, "a", 4, 4);
        Enqueue(batcher, "b", 4, 4);
        Enqueue(batcher, "c", 4, 4);

        var plan = batcher.Plan()!;
        Assert.Equal(10, plan.TokenCount);
        Assert.Equal([("a", 0, 4, true), ("b", 0, 4, true), ("c", 0, 2, false)], Shape(plan));
        Assert.Equal(Enumerable.Range(100, 4).Concat(Enumerable.Range(100, 4)).Concat(Enumerable.Range(100, 2)), plan.TokenIds.ToArray());
    }

    [Fact]
    public void A_prompt_cap_holds_prompts_back_but_never_decodes()
    {
        var batcher = Batcher(batchTokens: 8);
        Enqueue(batcher, "a", 3, 5);
        Step(batcher);                   // a prefilled: it decodes from now on
        Enqueue(batcher, "b", 9, 5);
        Enqueue(batcher, "c", 2, 5);

        var decodesOnly = batcher.Plan(0)!;
        Assert.Equal([("a", 3, 1, true)], Shape(decodesOnly));
        Assert.Equal(2, batcher.Waiting);   // nothing admitted under a cap of 0
        batcher.Complete(decodesOnly, [7]);

        var capped = batcher.Plan(4)!;
        Assert.Equal([("a", 4, 1, true), ("b", 0, 4, false)], Shape(capped));
        batcher.Complete(capped, [7, -1]);

        // Without a cap the budget alone bounds the prompt tokens, as Plan() does.
        Assert.Equal([("a", 5, 1, true), ("b", 4, 5, true), ("c", 0, 2, true)], Shape(batcher.Plan(int.MaxValue)!));
    }

    [Fact]
    public void A_negative_prompt_cap_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Batcher().Plan(-1));

    [Fact]
    public void Decodes_come_first_in_admission_order_then_prefill_chunks()
    {
        var batcher = Batcher(batchTokens: 8);
        Enqueue(batcher, "a", 3, 5);
        Enqueue(batcher, "b", 2, 5);
        var (_, events) = Step(batcher, token: 40);
        Assert.Equal([("a", 40, 0), ("b", 40, 0)], events.Select(e => (e.Sequence.Id, e.TokenId, e.Index)));
        Enqueue(batcher, "c", 9, 5);

        var plan = batcher.Plan()!;
        Assert.Equal([("a", 3, 1, true), ("b", 2, 1, true), ("c", 0, 6, false)], Shape(plan));
        Assert.Equal(new[] { 40, 40 }.Concat(Enumerable.Range(100, 6)), plan.TokenIds.ToArray());
    }

    [Fact]
    public void Admission_is_fifo_and_reserves_blocks_for_prompt_and_all_tokens_upfront()
    {
        var batcher = Batcher(blockSize: 4, blocks: 10);
        var a = Enqueue(batcher, "a", 4, 8);  // 12 positions: 3 blocks
        var b = Enqueue(batcher, "b", 5, 2);  // 7 positions: 2 blocks
        Assert.Equal((2, 0, 0), (batcher.Waiting, batcher.Running, batcher.KvBlocksUsed));

        var plan = batcher.Plan()!;
        Assert.Equal(["a", "b"], plan.Segments.Select(s => s.Sequence.Id));
        Assert.Equal(5, batcher.KvBlocksUsed);
        Assert.Equal(3, a.Kv.Blocks.Count);
        Assert.Equal(2, b.Kv.Blocks.Count);
        Assert.Equal((0, 2), (batcher.Waiting, batcher.Running));
    }

    [Fact]
    public void Every_planned_segment_runs_all_layers_over_its_own_block_table()
    {
        var batcher = Batcher(batchTokens: 8, blockSize: 4, blocks: 10);
        var a = Enqueue(batcher, "a", 3, 2);
        var b = Enqueue(batcher, "b", 9, 2);
        Step(batcher);

        var plan = batcher.Plan()!;
        Assert.Equal([("a", 3, 1, true), ("b", 5, 4, true)], Shape(plan));
        Assert.All(plan.Segments, s => Assert.Equal((0, Layers), (s.FirstLayer, s.EndLayer)));
        // What the executor hands to the engine: ids in position order, lowest first, covering the positions planned.
        Assert.Equal([0, 1], a.Kv.Blocks);
        Assert.Equal([2, 3, 4], b.Kv.Blocks);
        Assert.All(plan.Segments, s => Assert.True(s.Sequence.Kv.Capacity(4) >= s.Start + s.Count));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_model_without_layers_is_refused(int layers)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ContinuousBatcher(new BatchPolicy(), layers, Context, Eos));
        Assert.Equal("numLayers", error.ParamName);
    }

    [Fact]
    public void The_head_of_the_queue_waiting_for_blocks_holds_back_the_requests_behind_it()
    {
        var batcher = Batcher(blockSize: 4, blocks: 6);
        var a = Enqueue(batcher, "a", 8, 8);  // 4 blocks
        Enqueue(batcher, "b", 4, 8);          // 3 blocks: only 2 left while a runs
        Enqueue(batcher, "c", 2, 2);          // 1 block: would fit, but must not overtake b

        var (plan, _) = Step(batcher);
        Assert.Equal(["a"], plan.Segments.Select(s => s.Sequence.Id));
        Assert.Equal((2, 1, 4), (batcher.Waiting, batcher.Running, batcher.KvBlocksUsed));
        for (int i = 1; i < 8; i++)
        {
            (plan, _) = Step(batcher);
            Assert.Equal(["a"], plan.Segments.Select(s => s.Sequence.Id));
        }
        Assert.Equal(ServingFinishReason.Length, a.Finish);
        Assert.Equal(0, batcher.KvBlocksUsed);

        plan = batcher.Plan()!;
        Assert.Equal(["b", "c"], plan.Segments.Select(s => s.Sequence.Id));
        Assert.Equal(4, batcher.KvBlocksUsed);
    }

    [Fact]
    public void Running_sequences_never_exceed_the_limit()
    {
        var batcher = Batcher(running: 2);
        for (int i = 0; i < 4; i++) Enqueue(batcher, $"r{i}", 2, 3);
        var (plan, _) = Step(batcher);
        Assert.Equal(["r0", "r1"], plan.Segments.Select(s => s.Sequence.Id));
        Assert.Equal((2, 2), (batcher.Waiting, batcher.Running));
    }

    [Fact]
    public void A_long_prompt_is_prefilled_in_chunks_and_samples_only_after_the_last()
    {
        var batcher = Batcher(batchTokens: 16);
        var s = Enqueue(batcher, "long", 40, 3);

        var (plan, events) = Step(batcher);
        Assert.Equal([("long", 0, 16, false)], Shape(plan));
        Assert.Empty(events);
        Assert.Equal(16, s.NumComputedTokens);
        (plan, events) = Step(batcher);
        Assert.Equal([("long", 16, 16, false)], Shape(plan));
        Assert.Equal(Enumerable.Range(116, 16), plan.TokenIds.ToArray());
        Assert.Empty(events);
        Assert.Empty(s.OutputIds);

        (plan, events) = Step(batcher, token: 55);
        Assert.Equal([("long", 32, 8, true)], Shape(plan));
        Assert.Equal([(55, 0, (ServingFinishReason?)null)], events.Select(e => (e.TokenId, e.Index, e.Finish)));
        Assert.Equal(40, s.NumComputedTokens);

        // The next step decodes the sampled token at position 40.
        plan = batcher.Plan()!;
        Assert.Equal([("long", 40, 1, true)], Shape(plan));
        Assert.Equal([55], plan.TokenIds.ToArray());
    }

    [Fact]
    public void A_partial_prefill_continues_before_new_requests_are_admitted()
    {
        var batcher = Batcher(batchTokens: 10);
        Enqueue(batcher, "a", 15, 2);
        Step(batcher);
        Enqueue(batcher, "b", 3, 2);
        var plan = batcher.Plan()!;
        Assert.Equal([("a", 10, 5, true), ("b", 0, 3, true)], Shape(plan));
    }

    [Fact]
    public void A_request_beyond_the_kv_cache_is_rejected_with_the_numbers()
    {
        var batcher = Batcher(blocks: 4);
        var result = batcher.TryEnqueue(Sequence("big", 50, 20));
        Assert.False(result.Accepted);
        Assert.Equal(AdmitStatus.ExceedsKvCache, result.Status);
        Assert.Contains("needs 5 KV blocks of 16 positions, the instance has 4", result.Message);
        Assert.Contains("50 in the prompt, 20 to generate", result.Message);
        Assert.Equal(0, batcher.Waiting);

        Assert.True(batcher.TryEnqueue(Sequence("exact", 50, 14)).Accepted);
    }

    [Fact]
    public void A_request_beyond_the_context_is_rejected_with_the_numbers()
    {
        var batcher = Batcher();
        var result = batcher.TryEnqueue(Sequence("long", 1000, 25));
        Assert.Equal(AdmitStatus.ExceedsContext, result.Status);
        Assert.Contains($"context is {Context} tokens, but 1025 were requested", result.Message);
        Assert.True(batcher.TryEnqueue(Sequence("exact", 1000, 24)).Accepted);
    }

    [Fact]
    public void A_duplicate_id_is_rejected_while_the_first_is_active()
    {
        var batcher = Batcher();
        Enqueue(batcher, "x", 2, 1);
        Assert.Equal(AdmitStatus.DuplicateId, batcher.TryEnqueue(Sequence("x", 2, 1)).Status);
        Step(batcher);
        Assert.True(batcher.TryEnqueue(Sequence("x", 2, 1)).Accepted);
    }

    [Fact]
    public void Cancelling_a_waiting_request_drops_it_at_once()
    {
        var batcher = Batcher(running: 1);
        Enqueue(batcher, "a", 2, 4);
        var b = Enqueue(batcher, "b", 2, 4);
        Step(batcher);
        int used = batcher.KvBlocksUsed;

        Assert.Equal(CancelOutcome.Removed, batcher.Cancel("b"));
        Assert.Equal((0, 1, used), (batcher.Waiting, batcher.Running, batcher.KvBlocksUsed));
        Assert.Equal(ServingFinishReason.Cancelled, b.Finish);
        Assert.Equal(CancelOutcome.NotFound, batcher.Cancel("b"));
    }

    [Fact]
    public void Cancelling_a_running_request_between_steps_frees_its_blocks_at_once()
    {
        var batcher = Batcher();
        var a = Enqueue(batcher, "a", 20, 20);
        Step(batcher);
        Assert.Equal(3, batcher.KvBlocksUsed);

        Assert.Equal(CancelOutcome.Removed, batcher.Cancel("a"));
        Assert.Equal((0, 0), (batcher.Running, batcher.KvBlocksUsed));
        Assert.Equal(SequenceState.Finished, a.State);
        Assert.Empty(a.Kv.Blocks);
        Assert.Null(batcher.Plan());
    }

    [Fact]
    public void Cancelling_a_request_in_the_executing_plan_frees_its_blocks_when_the_plan_completes()
    {
        var batcher = Batcher();
        var a = Enqueue(batcher, "a", 20, 20);
        var b = Enqueue(batcher, "b", 4, 4);
        var plan = batcher.Plan()!;

        Assert.Equal(CancelOutcome.Deferred, batcher.Cancel("a"));
        Assert.Equal(4, batcher.KvBlocksUsed);
        Assert.Equal(3, a.Kv.Blocks.Count);

        var events = batcher.Complete(plan, [9, 9]);
        Assert.Equal([("a", -1, ServingFinishReason.Cancelled), ("b", 9, (ServingFinishReason?)null)],
            events.Select(e => (e.Sequence.Id, e.TokenId, e.Finish)));
        Assert.Empty(a.OutputIds);
        Assert.Equal(1, batcher.KvBlocksUsed);
        Assert.Equal(1, batcher.Running);
        Assert.Equal(["b"], batcher.Plan()!.Segments.Select(s => s.Sequence.Id));
        Assert.Single(b.OutputIds);
    }

    [Fact]
    public void Eos_finishes_without_being_output_and_frees_the_blocks()
    {
        var batcher = Batcher();
        var a = Enqueue(batcher, "a", 3, 10);
        var b = Enqueue(batcher, "b", 3, 10, stopAtEos: false);
        Step(batcher, token: 5);
        var (_, events) = Step(batcher, token: Eos);

        Assert.Equal([("a", -1, 1, ServingFinishReason.Eos), ("b", Eos, 1, (ServingFinishReason?)null)],
            events.Select(e => (e.Sequence.Id, e.TokenId, e.Index, e.Finish)));
        Assert.Equal([5], a.OutputIds);
        Assert.Equal([5, Eos], b.OutputIds);
        Assert.Equal((1, 1), (batcher.Running, batcher.KvBlocksUsed));
    }

    [Fact]
    public void Max_tokens_finish_with_length_on_the_last_token_and_free_the_blocks()
    {
        var batcher = Batcher();
        var a = Enqueue(batcher, "a", 3, 2);
        Step(batcher, token: 5);
        var (_, events) = Step(batcher, token: 6);

        Assert.Equal([(6, 1, (ServingFinishReason?)ServingFinishReason.Length)], events.Select(e => (e.TokenId, e.Index, e.Finish)));
        Assert.Equal([5, 6], a.OutputIds);
        Assert.Equal((0, 0, SequenceState.Finished), (batcher.Running, batcher.KvBlocksUsed, a.State));
        Assert.Null(batcher.Plan());
    }

    [Fact]
    public void Only_one_plan_is_in_flight_and_only_it_can_be_completed()
    {
        var batcher = Batcher();
        Enqueue(batcher, "a", 3, 2);
        var plan = batcher.Plan()!;
        Assert.True(batcher.HasPlanInFlight);
        Assert.Throws<InvalidOperationException>(() => batcher.Plan());
        Assert.Throws<ArgumentException>(() => batcher.Complete(plan, []));
        batcher.Complete(plan, [5]);
        Assert.Throws<InvalidOperationException>(() => batcher.Complete(plan, [5]));
        Assert.False(batcher.HasPlanInFlight);
    }

    [Fact]
    public void Aborting_a_plan_fails_its_sequences_and_frees_their_blocks_but_not_others()
    {
        var batcher = Batcher(batchTokens: 4);
        var a = Enqueue(batcher, "a", 2, 4);
        Step(batcher);
        var b = Enqueue(batcher, "b", 3, 4);
        var c = Enqueue(batcher, "c", 3, 4);
        var plan = batcher.Plan()!;
        Assert.Equal([("a", 2, 1, true), ("b", 0, 3, true)], Shape(plan));

        Assert.Equal([a, b], batcher.Abort(plan));
        Assert.Equal((SequenceState.Failed, SequenceState.Failed, SequenceState.Waiting), (a.State, b.State, c.State));
        Assert.Equal((0, 0, 1), (batcher.KvBlocksUsed, batcher.Running, batcher.Waiting));
        Assert.Equal(["c"], batcher.Plan()!.Segments.Select(s => s.Sequence.Id));
    }

    [Fact]
    public void Taking_waiting_requests_removes_the_newest_in_arrival_order_and_leaves_the_rest_untouched()
    {
        // One seat: a runs, b c d wait.
        var batcher = Batcher(running: 1, blocks: 64);
        var a = Enqueue(batcher, "a", 4, 4);
        Step(batcher);
        var waiting = new[] { Enqueue(batcher, "b", 4, 4), Enqueue(batcher, "c", 4, 4), Enqueue(batcher, "d", 4, 4) };
        int usedBefore = batcher.KvBlocksUsed;

        var taken = batcher.TakeWaiting(2);

        Assert.Equal(["c", "d"], taken.Select(t => t.Id));
        Assert.All(taken, t => Assert.Equal(SequenceState.Finished, t.State));
        Assert.Equal((1, 1, usedBefore), (batcher.Waiting, batcher.Running, batcher.KvBlocksUsed));
        Assert.Equal(4, batcher.QueuedPrefillTokens);
        // Forgotten: the ids can be queued again, and cancelling them finds nothing.
        Assert.Equal(CancelOutcome.NotFound, batcher.Cancel("c"));
        Assert.True(batcher.TryEnqueue(Sequence("d", 4, 4)).Accepted);
        Assert.Equal(SequenceState.Running, a.State);
        Assert.Equal(SequenceState.Waiting, waiting[0].State);
        Assert.Empty(batcher.TakeWaiting(0));
        Assert.Equal(["b", "d"], batcher.TakeWaiting(5).Select(t => t.Id));
        Assert.Throws<ArgumentOutOfRangeException>(() => batcher.TakeWaiting(-1));
    }
}
