using BlitzScale.Grains.Serving;
using BlitzScale.Grains.Serving.Live;
using BlitzScale.Grains.Tests.Serving;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Scaling.Live;
using BlitzScale.Scaling.Serving;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests.Live;

/// <summary>
/// A split request's keys and values of [0, j) move to its LiveOld once its prompt is done (<see cref="ZigZagOptions.MoveAfterPrefill"/>):
/// the LiveOld decodes it whole, token for token as the goldens, and the LiveNew's seat and blocks free for other requests; a
/// move that fails leaves the request split as it was, and one cancelled mid-move frees everything on both sides.
/// </summary>
public sealed class LiveMoveTests : IDisposable
{
    private static readonly BatchPolicy Policy = new() { MaxBatchTokens = 64, MaxRunningSequences = 8, KvBlocks = 96 };
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly LocalModel _model = LocalModel.Open(RepositoryPaths.ShippedStories260K);
    private readonly IReadOnlyList<GoldenCase> _goldens = GoldenCase.Load(Path.Combine(RepositoryPaths.ShippedStories260K, "goldens.jsonl"));

    [Fact]
    public async Task A_moved_request_frees_its_seat_here_after_its_prompt_so_a_waiting_request_runs_while_it_decodes_on_the_partner()
    {
        // One seat on the LiveNew would hold the second request until the first ended; moved, the first holds none here.
        await using var pair = new LivePairHarness(_model, Policy with { MaxRunningSequences = 1 }, new ZigZagOptions { MoveAfterPrefill = true }, oldPolicy: Policy);
        pair.LandLayers(2);
        pair.Holding = "first";
        await using var first = pair.New.GenerateAsync(Request("first", _goldens[1])).GetAsyncEnumerator();
        Assert.True(await first.MoveNextAsync().AsTask().WaitAsync(Bound));
        // Its first token came with its prompt's split step; its decode steps wait (Holding) on the partner, after the move.
        var deadline = DateTime.UtcNow + Bound;
        while (pair.Moves.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(1);
        Assert.Equal([("first", _goldens[1].PromptIds.Length, 2)], pair.Moves);
        Assert.Equal(0, pair.NewBlocks.UsedBlocks);

        var second = await ServingModelFixture.Collect(pair.New.GenerateAsync(Request("second", _goldens[0]))).WaitAsync(Bound);

        AssertGolden(_goldens[0], second.Ids);
        Assert.False(first.Current.Finish is not null, "the first request should still be decoding");
        pair.ReleaseHeld();
        int[] firstIds = [first.Current.TokenId, .. await Rest(first)];
        AssertGolden(_goldens[1], firstIds);
        // The second was split and moved too.
        Assert.Equal(2, pair.New.Ledger.Moved);
        await AssertAllFreed(pair);
    }

    [Fact]
    public async Task A_move_that_fails_leaves_the_request_split_as_it_was_and_exact()
    {
        await using var pair = new LivePairHarness(_model, Policy, new ZigZagOptions { MoveAfterPrefill = true }) { MovesFail = true };
        pair.LandLayers(3);

        var served = await ServingModelFixture.Collect(pair.New.GenerateAsync(Request("g", _goldens[1]))).WaitAsync(Bound);

        AssertGolden(_goldens[1], served.Ids);
        var steps = pair.SplitSteps.Where(s => s.Request == "g").ToArray();
        Assert.All(steps, s => Assert.Equal(3, s.Layer));
        Assert.Equal(served.Ids.Length, steps.Length);
        Assert.Empty(pair.Moves);
        Assert.Equal(0, pair.New.Ledger.Moved);
        await AssertAllFreed(pair);
    }

    [Fact]
    public async Task Cancelling_a_request_while_its_keys_and_values_move_frees_its_blocks_on_both_sides()
    {
        await using var pair = new LivePairHarness(_model, Policy, new ZigZagOptions { MoveAfterPrefill = true }) { HoldMoves = true };
        pair.LandLayers(2);
        using var cancel = new CancellationTokenSource();
        var request = new ServingRequest("long", [.. _goldens[1].PromptIds], 200, SamplingOptions.Greedy, StopAtEos: false);
        var tokens = pair.New.GenerateAsync(request, cancel.Token).GetAsyncEnumerator(cancel.Token);
        Assert.True(await tokens.MoveNextAsync().AsTask().WaitAsync(Bound));
        await pair.MoveArrived.WaitAsync(Bound);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await tokens.MoveNextAsync());
        await tokens.DisposeAsync();
        // The partner was told it ended; the held move then finds no split request to take over.
        Assert.Contains("long", pair.Ended);
        pair.ReleaseMoves();

        await AssertAllFreed(pair);
        Assert.Empty(pair.Moves);
        Assert.Equal(0, pair.New.Ledger.Moved);
    }

    [Fact]
    public async Task The_live_old_refuses_keys_and_values_that_do_not_fit_the_request_and_keeps_it_split()
    {
        await using var pair = new LivePairHarness(_model, Policy, new ZigZagOptions { MoveAfterPrefill = false });
        pair.LandLayers(2);
        pair.Holding = "g";
        await using var tokens = pair.New.GenerateAsync(Request("g", _goldens[1])).GetAsyncEnumerator();
        Assert.True(await tokens.MoveNextAsync().AsTask().WaitAsync(Bound));
        var config = _model.Image.Layout.Config;
        int prompt = _goldens[1].PromptIds.Length;
        var rows = new HiddenStates((int)new KvSlice(prompt, 0, 2).Rows, config.KvDim);

        var wrongLayer = await Assert.ThrowsAsync<ArgumentException>(() => pair.Old.TakeOverSplitAsync("g", new KvSlice(prompt, 0, 3), new HiddenStates(
            (int)new KvSlice(prompt, 0, 3).Rows, config.KvDim)));
        Assert.Contains("is split at layer 2, not 3", wrongLayer.Message);
        var wrongRows = await Assert.ThrowsAsync<ArgumentException>(() => pair.Old.TakeOverSplitAsync("g", new KvSlice(prompt, 0, 2), new HiddenStates(3, config.KvDim)));
        Assert.Contains($"expected {rows.Tokens} rows of {config.KvDim}", wrongRows.Message);
        var notFromZero = await Assert.ThrowsAsync<ArgumentException>(() => pair.Old.TakeOverSplitAsync("g", new KvSlice(prompt, 1, 2), rows));
        Assert.Contains("are not [0, j)", notFromZero.Message);
        var unknown = await Assert.ThrowsAsync<InvalidOperationException>(() => pair.Old.TakeOverSplitAsync("other", new KvSlice(prompt, 0, 2), rows));
        Assert.Contains("\"other\" is not split here", unknown.Message);
        var notPrompt = await Assert.ThrowsAsync<InvalidOperationException>(() => pair.Old.TakeOverSplitAsync("g", new KvSlice(prompt + 1, 0, 2),
            new HiddenStates((int)new KvSlice(prompt + 1, 0, 2).Rows, config.KvDim)));
        Assert.Contains($"not between steps with its {prompt + 1} prompt positions done", notPrompt.Message);
        // A step without hidden states for a request still split is refused with the reason; the request goes on split, exact.
        var whole = await Assert.ThrowsAsync<ArgumentException>(() => pair.Old.RunSplitAsync(new SplitWork("g", prompt, 1, 0, null, SamplingOptions.Greedy,
            prompt + 1, TokenId: tokens.Current.TokenId)));
        Assert.Contains("is split at layer 2", whole.Message);

        pair.ReleaseHeld();
        AssertGolden(_goldens[1], [tokens.Current.TokenId, .. await Rest(tokens)]);
        Assert.All(pair.SplitSteps, s => Assert.Equal(2, s.Layer));
        await AssertAllFreed(pair);
    }

    public void Dispose() => _model.Dispose();

    private static ServingRequest Request(string id, GoldenCase golden) =>
        new(id, [.. golden.PromptIds], golden.Steps + 1 - golden.PromptIds.Length, SamplingOptions.Greedy, StopAtEos: false);

    private static void AssertGolden(GoldenCase golden, int[] generated)
    {
        int[] ids = [.. golden.PromptIds, .. generated];
        Assert.True(ids.SequenceEqual(golden.Ids), $"\"{golden.Prompt}\": expected [{string.Join(", ", golden.Ids)}], got [{string.Join(", ", ids)}]");
    }

    private static async Task<int[]> Rest(IAsyncEnumerator<ServedToken> tokens)
    {
        var ids = new List<int>();
        ServingFinishReason? finish = tokens.Current.Finish;
        while (finish is null && await tokens.MoveNextAsync().AsTask().WaitAsync(Bound))
        {
            if (tokens.Current.TokenId >= 0) ids.Add(tokens.Current.TokenId);
            finish = tokens.Current.Finish;
        }
        Assert.NotNull(finish);
        return [.. ids];
    }

    private static async Task AssertAllFreed(LivePairHarness pair)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((pair.Old.SplitRequests > 0 || pair.Old.Stats.KvBlocksUsed > 0 || pair.NewBlocks.UsedBlocks > 0) && DateTime.UtcNow < deadline)
            await Task.Delay(5);
        Assert.Equal((0, 0, 0), (pair.Old.SplitRequests, pair.Old.Stats.KvBlocksUsed, pair.NewBlocks.UsedBlocks));
    }
}
