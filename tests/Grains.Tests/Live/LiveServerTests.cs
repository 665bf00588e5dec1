using BlitzScale.Grains.Serving;
using BlitzScale.Grains.Serving.Live;
using BlitzScale.Grains.Tests.Serving;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Scaling.Live;
using BlitzScale.Scaling.Serving;
using BlitzScale.Tests.Shared;
using Xunit.Abstractions;

using static BlitzScale.Grains.Tests.Live.LivePairAsserts;

namespace BlitzScale.Grains.Tests.Live;

/// <summary>
/// Live scaling is token-exact: stories260K's reference generations served by a LiveNew instance whose layers land one by one,
/// split with a LiveOld partner at every layer, before and after the load completes, equal the goldens token for token.
/// </summary>
public sealed class LiveServerTests(ITestOutputHelper output) : IDisposable
{
    private static readonly BatchPolicy Policy = new() { MaxBatchTokens = 64, MaxRunningSequences = 8, KvBlocks = 96 };
    private readonly LocalModel _model = LocalModel.Open(RepositoryPaths.ShippedStories260K);
    private readonly IReadOnlyList<GoldenCase> _goldens = GoldenCase.Load(Path.Combine(RepositoryPaths.ShippedStories260K, "goldens.jsonl"));

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(4, false)]
    public async Task Requests_split_at_each_layer_match_the_goldens(int landed, bool move)
    {
        await using var pair = new LivePairHarness(_model, Policy, new ZigZagOptions { Move = move ? SplitMove.AfterPrompt : SplitMove.Never });
        pair.LandLayers(landed);

        var served = await Task.WhenAll(_goldens.Select((c, i) => ServingModelFixture.Collect(pair.New.GenerateAsync(Request($"g{i}", c)))));

        for (int i = 0; i < _goldens.Count; i++) AssertGolden(_goldens[i], served[i].Ids);
        // Each request ran the landed layers here and was pulled whole at that layer; every later step was split there too, or,
        // with its keys and values moved after its prompt, ran whole on the partner.
        var steps = pair.SplitSteps.ToArray();
        for (int i = 0; i < _goldens.Count; i++)
        {
            AssertSteps(steps, $"g{i}", _goldens[i].PromptIds.Length, landed, move);
            Assert.Equal(served[i].Ids.Length, steps.Count(s => s.Request == $"g{i}"));
        }
        // The ledger counts each of them split at that layer, with its first token, and moved when that is on.
        var ledger = pair.New.Ledger;
        Assert.Equal((_goldens.Count, _goldens.Count, 0, 0), (ledger.Requests, ledger.Split, ledger.Whole, ledger.WithoutFirstToken));
        Assert.Equal((landed, landed), ledger.SplitLayers);
        Assert.Equal(move ? _goldens.Count : 0, ledger.Moved);
        Assert.Equal(move ? _goldens.Select(g => (g.PromptIds.Length, landed)).Order() : [], pair.Moves.Select(m => (m.Positions, m.Layer)).Order());
        await AssertAllFreed(pair);
    }

    [Fact]
    public async Task The_autoscaler_sees_a_live_new_requests_prompts_until_their_first_token_and_their_tokens_after()
    {
        await using var pair = new LivePairHarness(_model, Policy);
        pair.Land(0);
        // Only the embedding: nothing can run, so both prompts are queued prefill, here and nowhere else.
        await using var first = pair.New.GenerateAsync(Request("first", _goldens[1])).GetAsyncEnumerator();
        var firstToken = first.MoveNextAsync().AsTask();
        await using var second = pair.New.GenerateAsync(Request("second", _goldens[0])).GetAsyncEnumerator();
        var secondToken = second.MoveNextAsync().AsTask();
        int prompts = _goldens[1].PromptIds.Length + _goldens[0].PromptIds.Length;
        var waiting = pair.New.Stats;
        Assert.Equal((prompts, 0L), (waiting.QueuedPrefillTokens, waiting.RunningDecodeTokens));

        // Split at layer 2, each request's first token comes back through the pair: its tokens are decode load, counted here
        // once (the LiveOld counts none of its split tails).
        pair.LandLayers(2);
        Assert.True(await firstToken);
        Assert.True(await secondToken);
        var running = pair.New.Stats;
        Assert.Equal(0, running.QueuedPrefillTokens);
        Assert.True(running.RunningDecodeTokens >= prompts + 2, $"decode tokens {running.RunningDecodeTokens}, prompts {prompts}");
        var old = pair.Old.Stats;
        Assert.Equal((0L, 0L), (old.QueuedPrefillTokens, old.RunningDecodeTokens));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Requests_arriving_while_layers_land_stay_exact_through_the_end_of_the_load(bool move)
    {
        await using var pair = new LivePairHarness(_model, Policy, new ZigZagOptions { Move = move ? SplitMove.AfterPrompt : SplitMove.Never });
        pair.Land(0);
        // Only the embedding: nothing can run yet, so the first request waits here for layer 0.
        await using var first = pair.New.GenerateAsync(Request("first", _goldens[1])).GetAsyncEnumerator();
        var firstToken = first.MoveNextAsync().AsTask();
        pair.LandLayers(1);
        Assert.True(await firstToken);
        // The first request's next split steps wait until the load has completed, so it is still decoding split then.
        pair.Holding = "first";
        // Two layers land before the second request arrives: landed after it, the partner could pull it after one layer
        // (a fresh-clone run on 6 December split it at layer 1, one run in many).
        pair.LandLayers(2);
        await using var second = pair.New.GenerateAsync(Request("second", _goldens[0])).GetAsyncEnumerator();
        var secondToken = second.MoveNextAsync().AsTask();
        Assert.True(await secondToken);
        pair.LandLayers(4);

        int stepsBefore = pair.SplitSteps.Count(s => s.Request == "first");
        pair.FinishLoading();
        pair.ReleaseHeld();
        var afterLoad = ServingModelFixture.Collect(pair.Full.GenerateAsync(Request("after", _goldens[2])));
        int[] firstIds = [first.Current.TokenId, .. (await Rest(first)).Ids];
        int[] secondIds = [second.Current.TokenId, .. (await Rest(second)).Ids];

        AssertGolden(_goldens[1], firstIds);
        AssertGolden(_goldens[0], secondIds);
        AssertGolden(_goldens[2], (await afterLoad).Ids);
        var steps = pair.SplitSteps.ToArray();
        AssertSteps(steps, "first", _goldens[1].PromptIds.Length, 1, move);
        AssertSteps(steps, "second", _goldens[0].PromptIds.Length, 2, move);
        // The first request kept decoding on the partner after the load had completed, and the request after it never split.
        Assert.True(steps.Count(s => s.Request == "first") > stepsBefore, "the split request should have finished after the load completed");
        Assert.DoesNotContain(steps, s => s.Request == "after");
        await AssertAllFreed(pair);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Cancelling_a_split_request_frees_its_KV_blocks_on_both_sides(bool move)
    {
        await using var pair = new LivePairHarness(_model, Policy, new ZigZagOptions { Move = move ? SplitMove.AfterPrompt : SplitMove.Never });
        pair.LandLayers(2);
        using var cancel = new CancellationTokenSource();
        var request = new ServingRequest("long", [.. _goldens[1].PromptIds], 200, SamplingOptions.Greedy, StopAtEos: false);
        var tokens = pair.New.GenerateAsync(request, cancel.Token).GetAsyncEnumerator(cancel.Token);
        for (int i = 0; i < 3; i++) Assert.True(await tokens.MoveNextAsync());
        Assert.True(pair.Old.SplitRequests == 1, "the request should be split with the partner");
        // Moved after its prompt (before its second token), it holds no block here any more.
        Assert.True(pair.Old.Stats.KvBlocksUsed > 0);
        Assert.Equal(move, pair.NewBlocks.UsedBlocks == 0);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await tokens.MoveNextAsync());
        await tokens.DisposeAsync();

        Assert.Contains("long", pair.Ended);
        await AssertAllFreed(pair);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_split_request_whose_partner_is_lost_fails_as_a_lost_instance_not_as_a_wrong_request(bool move)
    {
        await using var pair = new LivePairHarness(_model, Policy, new ZigZagOptions { Move = move ? SplitMove.AfterPrompt : SplitMove.Never });
        pair.LandLayers(2);
        var request = new ServingRequest("orphan", [.. _goldens[1].PromptIds], 200, SamplingOptions.Greedy, StopAtEos: false);
        var tokens = pair.New.GenerateAsync(request).GetAsyncEnumerator();
        for (int i = 0; i < 3; i++) Assert.True(await tokens.MoveNextAsync());

        // LiveOld's silo died (bench chaos saw four requests fail here with an InvalidOperationException, never resumed).
        pair.PartnerLost = true;
        var lost = await Assert.ThrowsAsync<LivePartnerLostException>(async () => { while (await tokens.MoveNextAsync()) { } });
        await tokens.DisposeAsync();

        Assert.Contains(move ? "the live partner could not run every layer" : "the live partner could not run layers [2, ", lost.Message);
    }

    [Fact]
    public async Task A_partner_that_leaves_without_telling_has_its_split_requests_ended_on_the_live_old_side()
    {
        await using var pair = new LivePairHarness(_model, Policy);
        pair.LandLayers(2);
        // LiveNew's silo dies: it never says that its requests ended (bench chaos: a LiveOld still counted them 30 s later).
        pair.Silent = true;
        var request = new ServingRequest("stranded", [.. _goldens[1].PromptIds], 200, SamplingOptions.Greedy, StopAtEos: false);
        var tokens = pair.New.GenerateAsync(request).GetAsyncEnumerator();
        var delivered = new List<int>();
        for (int i = 0; i < 3; i++)
        {
            Assert.True(await tokens.MoveNextAsync());
            delivered.Add(tokens.Current.TokenId);
        }
        Assert.Equal((1, LivePairHarness.PartnerShard), (pair.Old.SplitRequests, pair.Old.Partner));
        Assert.True(pair.Old.Stats.Running == 1 && pair.Old.Stats.KvBlocksUsed > 0, "the split request should run and hold blocks on LiveOld");

        int ended = pair.Old.PartnerGone(LivePairHarness.PartnerShard, new InvalidOperationException("its silo died"));

        Assert.Equal(1, ended);
        Assert.Null(pair.Old.Partner);
        await AssertOldFreed(pair);
        // Were LiveNew still running, its next step is refused (the KV of the earlier positions is gone here): the request is
        // lost, as for a dead partner, and its caller resumes it; every token it gave is the reference's.
        var lost = await Assert.ThrowsAsync<LivePartnerLostException>(async () =>
        {
            while (await tokens.MoveNextAsync()) delivered.Add(tokens.Current.TokenId);
        });
        await tokens.DisposeAsync();
        output.WriteLine(lost.Message);
        Assert.Equal(_goldens[1].Ids.Skip(_goldens[1].PromptIds.Length).Take(delivered.Count), delivered);
        Assert.Equal(0, pair.Old.SplitRequests);
    }

    [Fact]
    public async Task A_pull_that_fails_ends_the_pair_and_the_split_requests_of_that_partner()
    {
        await using var pair = new LivePairHarness(_model, Policy);
        pair.LandLayers(2);
        pair.Silent = true;
        var request = new ServingRequest("pulled", [.. _goldens[0].PromptIds], 200, SamplingOptions.Greedy, StopAtEos: false);
        var tokens = pair.New.GenerateAsync(request).GetAsyncEnumerator();
        for (int i = 0; i < 2; i++) Assert.True(await tokens.MoveNextAsync());
        Assert.Equal(1, pair.Old.SplitRequests);

        // The partner's silo is gone: the next pull fails as a call to a dead silo's grain does.
        pair.Old.PairWith(LivePairHarness.PartnerShard, () => Task.FromException<BlitzScale.Grains.Interfaces.Serving.LivePull?>(new TimeoutException("no answer")), handOff: null);
        pair.Old.Offered(1);

        await AssertOldFreed(pair);
        Assert.Null(pair.Old.Partner);
        await Assert.ThrowsAsync<LivePartnerLostException>(async () => { while (await tokens.MoveNextAsync()) { } });
        await tokens.DisposeAsync();
    }

    [Fact]
    public async Task A_request_that_reaches_the_last_layer_before_it_is_pulled_finishes_here_alone()
    {
        // No partner pulls: the requests wait for layers, and the complete image lets them run to the head here.
        await using var pair = new LivePairHarness(_model, Policy);
        pair.Old.EndPair();
        pair.LandLayers(3);
        var served = Task.WhenAll(_goldens.Select((c, i) => ServingModelFixture.Collect(pair.New.GenerateAsync(Request($"g{i}", c)))));
        pair.FinishLoading();

        var results = await served;
        for (int i = 0; i < _goldens.Count; i++) AssertGolden(_goldens[i], results[i].Ids);
        Assert.Empty(pair.SplitSteps);
        var ledger = pair.New.Ledger;
        Assert.Equal((_goldens.Count, 0, _goldens.Count, 0), (ledger.Requests, ledger.Split, ledger.Whole, ledger.WithoutFirstToken));
        Assert.Null(ledger.SplitLayers);
        await AssertAllFreed(pair);
    }

    [Fact]
    public async Task Blocks_a_live_request_frees_let_the_full_servers_waiting_request_in()
    {
        // 20 blocks of 16: the live request (257 positions) holds 17, so the full server's (65 positions, 5 blocks) must wait for them.
        // Split to its end (no move): its blocks free only when it ends.
        await using var pair = new LivePairHarness(_model, Policy with { KvBlocks = 20 }, new ZigZagOptions { Move = SplitMove.Never });
        pair.LandLayers(2);
        var live = ServingModelFixture.Collect(pair.New.GenerateAsync(Request("live", _goldens[1])));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (pair.NewBlocks.UsedBlocks == 0 && DateTime.UtcNow < deadline) await Task.Delay(1);
        Assert.True(pair.NewBlocks.UsedBlocks > 0, "the live request should hold its blocks");
        pair.FinishLoading();
        var after = ServingModelFixture.Collect(pair.Full.GenerateAsync(Request("after", _goldens[0])));

        AssertGolden(_goldens[1], (await live).Ids);
        // Nothing but the live request's release can wake the full server here; bounded so a lost wake fails instead of hanging.
        AssertGolden(_goldens[0], (await after.WaitAsync(TimeSpan.FromSeconds(30))).Ids);
        await AssertAllFreed(pair);
    }

    public void Dispose() => _model.Dispose();
}
