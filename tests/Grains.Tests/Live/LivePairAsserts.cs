using BlitzScale.Grains.Serving;
using BlitzScale.Grains.Tests.Serving;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Tests.Live;

/// <summary>What the live pair tests check on a <see cref="LivePairHarness"/>: requests of the goldens, their tokens, and the blocks freed on both sides.</summary>
internal static class LivePairAsserts
{
    public static ServingRequest Request(string id, GoldenCase golden) =>
        new(id, [.. golden.PromptIds], golden.Steps + 1 - golden.PromptIds.Length, SamplingOptions.Greedy, StopAtEos: false);

    public static void AssertGolden(GoldenCase golden, int[] generated)
    {
        int[] ids = [.. golden.PromptIds, .. generated];
        Assert.True(ids.SequenceEqual(golden.Ids), $"\"{golden.Prompt}\": expected [{string.Join(", ", golden.Ids)}], got [{string.Join(", ", ids)}]");
    }

    // The tokens after the current one, to the finish; each bounded, so that a lost token fails the test instead of hanging it.
    public static async Task<(int[] Ids, ServingFinishReason Finish)> Rest(IAsyncEnumerator<ServedToken> tokens)
    {
        var ids = new List<int>();
        ServingFinishReason? finish = tokens.Current.Finish;
        while (finish is null && await tokens.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)))
        {
            if (tokens.Current.TokenId >= 0) ids.Add(tokens.Current.TokenId);
            finish = tokens.Current.Finish;
        }
        Assert.NotNull(finish);
        return ([.. ids], finish.Value);
    }

    // Request `id`'s split steps: its prompt at `layer`, then each decode step at `layer`, or from layer 0 once its keys and values
    // moved to the partner.
    public static void AssertSteps((string Request, int Start, int Count, int Layer)[] steps, string id, int prompt, int layer, bool moved)
    {
        var mine = steps.Where(s => s.Request == id).ToArray();
        Assert.Equal((0, prompt, layer), (mine[0].Start, mine[0].Count, mine[0].Layer));
        Assert.All(mine.Skip(1), s => Assert.Equal((1, moved ? 0 : layer), (s.Count, s.Layer)));
    }

    // LiveOld holds no split request and no KV block (its step in flight, if any, completes first): bounded.
    public static async Task AssertOldFreed(LivePairHarness pair)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((pair.Old.SplitRequests > 0 || pair.Old.Stats.KvBlocksUsed > 0) && DateTime.UtcNow < deadline) await Task.Delay(5);
        Assert.Equal((0, 0, 0), (pair.Old.SplitRequests, pair.Old.Stats.Running, pair.Old.Stats.KvBlocksUsed));
    }

    // Ending a split request frees the partner's blocks when its step in flight (if any) completes: wait for that, bounded.
    public static async Task AssertAllFreed(LivePairHarness pair)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((pair.Old.SplitRequests > 0 || pair.Old.Stats.KvBlocksUsed > 0 || pair.NewBlocks.UsedBlocks > 0) && DateTime.UtcNow < deadline)
            await Task.Delay(5);
        Assert.Equal(0, pair.Old.SplitRequests);
        Assert.Equal(0, pair.Old.Stats.KvBlocksUsed);
        Assert.Equal(0, pair.NewBlocks.UsedBlocks);
    }
}
