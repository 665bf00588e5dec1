using BlitzScale.Grains.Serving;
using BlitzScale.Grains.Serving.Live;
using BlitzScale.Grains.Tests.Serving;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Scaling.Live;
using BlitzScale.Scaling.Serving;
using BlitzScale.Tests.Shared;

using static BlitzScale.Grains.Tests.Live.LivePairAsserts;

namespace BlitzScale.Grains.Tests.Live;

/// <summary>
/// A split request's keys and values of [0, j) move to its LiveOld (<see cref="ZigZagOptions.Move"/>): when a request waits on the
/// LiveNew for a seat (<see cref="SplitMove.WhenWaiting"/>), after the prompt or any later step, or after every prompt; the LiveOld decodes it whole, token for token as the
/// goldens, and the LiveNew's seat and blocks free for the waiting request. A move that fails leaves the request split as it
/// was, and one cancelled mid-move frees everything on both sides.
/// </summary>
public sealed class LiveMoveTests : IDisposable
{
    private static readonly BatchPolicy Policy = new() { MaxBatchTokens = 64, MaxRunningSequences = 8, KvBlocks = 96 };
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly LocalModel _model = LocalModel.Open(RepositoryPaths.ShippedStories260K);
    private readonly IReadOnlyList<GoldenCase> _goldens = GoldenCase.Load(Path.Combine(RepositoryPaths.ShippedStories260K, "goldens.jsonl"));

    [Fact]
    public async Task A_request_waiting_for_the_live_news_one_seat_moves_the_split_one_after_its_prompt_and_runs_beside_it()
    {
        // One seat on the LiveNew: the second request waits for it until the first moves.
        await using var pair = new LivePairHarness(_model, Policy with { MaxRunningSequences = 1 }, new ZigZagOptions { Move = SplitMove.WhenWaiting }, oldPolicy: Policy);
        pair.LandLayers(2);
        pair.Holding = "first";
        // The first's prompt is held on the partner until the second waits: a move happens when a split step returns, so a
        // prompt that returned before the second arrived left the first's held decode step the next chance, and the second
        // waited for the seat until the test timed out (once in 60 runs of the Live tests beside a busy core, 8 December).
        pair.HoldingPrompt = "first";
        await using var first = pair.New.GenerateAsync(Request("first", _goldens[1])).GetAsyncEnumerator();
        // Submitted first (a request is submitted at its first move), so it takes the seat.
        var firstToken = first.MoveNextAsync().AsTask();
        var second = ServingModelFixture.Collect(pair.New.GenerateAsync(Request("second", _goldens[0])));
        pair.ReleasePrompt();
        Assert.True(await firstToken.WaitAsync(Bound));

        // The first's decode steps wait (Holding) on the partner; the second is served meanwhile, in the seat the move freed.
        AssertGolden(_goldens[0], (await second.WaitAsync(Bound)).Ids);
        Assert.Null(first.Current.Finish);
        Assert.Equal([("first", _goldens[1].PromptIds.Length, 2)], pair.Moves);
        pair.ReleaseHeld();
        AssertGolden(_goldens[1], [first.Current.TokenId, .. (await Rest(first)).Ids]);
        // Nothing waited when the second's steps returned: it stayed split.
        Assert.Equal(1, pair.New.Ledger.Moved);
        Assert.All(pair.SplitSteps.Where(s => s.Request == "second"), s => Assert.Equal(2, s.Layer));
        await AssertAllFreed(pair);
    }

    [Fact]
    public async Task A_request_that_arrives_while_a_split_one_decodes_moves_it_with_the_positions_decoded_so_far()
    {
        await using var pair = new LivePairHarness(_model, Policy with { MaxRunningSequences = 1 }, new ZigZagOptions { Move = SplitMove.WhenWaiting }, oldPolicy: Policy);
        pair.LandLayers(3);
        pair.Holding = "first";
        await using var first = pair.New.GenerateAsync(Request("first", _goldens[1])).GetAsyncEnumerator();
        Assert.True(await first.MoveNextAsync().AsTask().WaitAsync(Bound));
        // Nothing waited at its first token: it stays split, its first decode step held on the partner. The second arrives now.
        Assert.Empty(pair.Moves);
        var second = ServingModelFixture.Collect(pair.New.GenerateAsync(Request("second", _goldens[0])));
        var deadline = DateTime.UtcNow + Bound;
        while (pair.New.Stats.Waiting == 0 && DateTime.UtcNow < deadline) await Task.Delay(1);
        pair.ReleaseHeld();

        AssertGolden(_goldens[0], (await second.WaitAsync(Bound)).Ids);
        AssertGolden(_goldens[1], [first.Current.TokenId, .. (await Rest(first)).Ids]);
        // Moved when its first decode step returned: the prompt and that step's position, split at 3 up to then.
        int prompt = _goldens[1].PromptIds.Length;
        Assert.Equal([("first", prompt + 1, 3)], pair.Moves);
        var steps = pair.SplitSteps.Where(s => s.Request == "first").ToArray();
        Assert.Equal([(0, prompt, 3), (prompt, 1, 3)], steps.Take(2).Select(s => (s.Start, s.Count, s.Layer)));
        Assert.All(steps.Skip(2), s => Assert.Equal((1, 0), (s.Count, s.Layer)));
        await AssertAllFreed(pair);
    }

    [Fact]
    public async Task A_move_that_fails_leaves_the_request_split_as_it_was_and_exact()
    {
        await using var pair = new LivePairHarness(_model, Policy, new ZigZagOptions { Move = SplitMove.AfterPrompt }) { MovesFail = true };
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
        await using var pair = new LivePairHarness(_model, Policy, new ZigZagOptions { Move = SplitMove.AfterPrompt }) { HoldMoves = true };
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
        await using var pair = new LivePairHarness(_model, Policy, new ZigZagOptions { Move = SplitMove.Never });
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
        Assert.Contains($"not between steps with {prompt + 1} positions computed here", notPrompt.Message);
        // A step without hidden states for a request still split is refused with the reason; the request goes on split, exact.
        var whole = await Assert.ThrowsAsync<ArgumentException>(() => pair.Old.RunSplitAsync(new SplitWork("g", prompt, 1, 0, null, SamplingOptions.Greedy,
            prompt + 1, TokenId: tokens.Current.TokenId)));
        Assert.Contains("is split at layer 2", whole.Message);

        pair.ReleaseHeld();
        AssertGolden(_goldens[1], [tokens.Current.TokenId, .. (await Rest(tokens)).Ids]);
        Assert.All(pair.SplitSteps, s => Assert.Equal(2, s.Layer));
        await AssertAllFreed(pair);
    }

    public void Dispose() => _model.Dispose();
}
