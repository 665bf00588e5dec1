using BlitzScale.Scaling.Serving;

namespace BlitzScale.Scaling.Tests.Serving;

/// <summary>The batcher's load as the autoscaler reads it: prompt tokens still to prefill, tokens of requests in decode.</summary>
public sealed class ContinuousBatcherLoadTests
{
    [Fact]
    public void Queued_prefill_tokens_count_waiting_prompts_and_the_unprefilled_rest_then_decode_tokens_take_over()
    {
        // A budget of 10 tokens: a's prompt of 8 and 2 of b's 6 in the first step.
        var batcher = new ContinuousBatcher(new BatchPolicy { MaxBatchTokens = 10, MaxRunningSequences = 10, KvBlocks = 64 }, numLayers: 2, contextLength: 256, eosId: 2);
        Enqueue(batcher, "a", 8, 4);
        Enqueue(batcher, "b", 6, 4);
        Enqueue(batcher, "c", 5, 4);
        Assert.Equal((19L, 0L), (batcher.QueuedPrefillTokens, batcher.RunningDecodeTokens));

        Step(batcher);
        // a prefilled (8 prompt + 1 sampled token); b has 4 of 6 left; c waits whole.
        Assert.Equal((4L + 5, 9L), (batcher.QueuedPrefillTokens, batcher.RunningDecodeTokens));

        Step(batcher);
        // a decodes one more; b prefills its 4; c takes the 5 left: every prompt done.
        Assert.Equal(0L, batcher.QueuedPrefillTokens);
        Assert.Equal(10L + 7 + 6, batcher.RunningDecodeTokens);
    }

    private static void Enqueue(ContinuousBatcher batcher, string id, int prompt, int maxTokens) =>
        Assert.True(batcher.TryEnqueue(new ServingSequence(id, Enumerable.Range(100, prompt).ToArray(), maxTokens, stopAtEos: false)).Accepted);

    private static void Step(ContinuousBatcher batcher)
    {
        var plan = batcher.Plan()!;
        batcher.Complete(plan, plan.Segments.Select(_ => 7).ToArray());
    }
}
