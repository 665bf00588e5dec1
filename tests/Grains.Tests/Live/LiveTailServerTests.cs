using System.Collections.Concurrent;
using BlitzScale.Grains.Serving;
using BlitzScale.Grains.Serving.Live;
using BlitzScale.Grains.Tests.Reliability;
using BlitzScale.Grains.Tests.Serving;
using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Serving;
using BlitzScale.Tests.Shared;

using static BlitzScale.Grains.Tests.Live.LivePairAsserts;

namespace BlitzScale.Grains.Tests.Live;

/// <summary>
/// A LiveTail in one process: a server over an image whose layers land last first runs the tails of a LiveNew's requests from
/// its first landed layer on, token-exact, after the LiveNew switched to it from its busy partner, whose own pulls finish there.
/// </summary>
public sealed class LiveTailServerTests : IDisposable
{
    private static readonly BatchPolicy Policy = new() { MaxBatchTokens = 64, MaxRunningSequences = 8, KvBlocks = 96 };
    private readonly LocalModel _model = LocalModel.Open(RepositoryPaths.ShippedStories260K);
    private readonly IReadOnlyList<GoldenCase> _goldens = GoldenCase.Load(Path.Combine(RepositoryPaths.ShippedStories260K, "goldens.jsonl"));

    [Fact]
    public async Task A_LiveNew_switched_to_a_tail_gets_every_token_right_and_what_its_busy_partner_pulled_finishes_there()
    {
        await using var pair = new LivePairHarness(_model, Policy);
        int layers = _model.Image.Layout.Config.NumLayers;
        pair.LandLayers(2);

        // The busy partner pulls the first request, split at layer 2.
        var first = ServingModelFixture.Collect(pair.New.GenerateAsync(Request("busy", _goldens[0])));
        await StatusPoll.Until(() => pair.SplitSteps.Any(s => s.Request == "busy"), "the busy partner never pulled", TimeSpan.FromSeconds(30));

        // The tail: the head (and the tied embedding it reads) and the layers from 2 landed, last first; not layers 0 and 1.
        using var image = ParameterImage.Allocate(_model.Image.Layout);
        foreach (int blob in image.Layout.BlobsLastFirst().Take(layers - 2 + 2))
        {
            _model.Image.BlobBytes(blob).CopyTo(image.BlobBytes(blob));
            image.MarkLoaded(blob);
        }
        Assert.Equal(2, image.LoadedLayerSuffix);
        using var device = new DeviceExecutor("live-tail");
        using var engine = new CpuEngine(image, new KvStoreShape(Policy.KvBlocks, Policy.BlockSize));
        await using var tail = new InstanceServer(engine, Policy, device, _model.Directory.Generation.EosTokenId, tailFrom: () => image.LoadedLayerSuffix);
        var link = new TailLink(tail);
        tail.PairWith(LivePairHarness.PartnerShard, () => Task.FromResult(pair.New.HandOver(image.LoadedLayerSuffix, link.Shard)), handOff: null);
        // It takes no request of its own while loading, and no split below its first layer.
        var own = Assert.Throws<InvalidOperationException>(() => tail.GenerateAsync(Request("own", _goldens[1])).GetAsyncEnumerator().MoveNextAsync().AsTask().GetAwaiter().GetResult());
        Assert.Contains("still landing", own.Message, StringComparison.Ordinal);

        pair.New.SwitchTo(link);
        Assert.True(pair.New.IsCurrentPartner(link.Shard));
        // A pull from a shard that is no partner gets nothing.
        Assert.Null(pair.New.HandOver(0, "stranger"));
        var later = await Task.WhenAll(_goldens.Skip(1).Select((c, i) => ServingModelFixture.Collect(pair.New.GenerateAsync(Request($"tail{i}", c)))));
        var busy = await first;

        AssertGolden(_goldens[0], busy.Ids);
        for (int i = 0; i < later.Length; i++) AssertGolden(_goldens[i + 1], later[i].Ids);
        // Every step of the busy partner's request ran there; every step of the later ones on the tail, from layer 2.
        Assert.All(pair.SplitSteps, s => Assert.Equal("busy", s.Request));
        Assert.Equal(busy.Ids.Length, pair.SplitSteps.Count);
        Assert.Equal(later.Sum(r => r.Ids.Length), link.Steps.Count);
        Assert.All(link.Steps, s => Assert.Equal(2, s.Layer));
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => tail.RunSplitAsync(
            new SplitWork("low", 0, 1, 1, new HiddenStates(1, engine.Config.HiddenSize), Native.Sampling.SamplingOptions.Greedy, 8)));
        Assert.Contains($"only [2, {layers}) have", refused.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _model.Dispose();

    // The LiveNew's link to its tail: its steps run on the tail's server, as the grid's link would bring them.
    private sealed class TailLink(InstanceServer tail) : ILivePartner
    {
        public string Shard => "live-tail";
        public ConcurrentQueue<(string Request, int Layer)> Steps { get; } = new();

        public Task<int> RunSplitAsync(SplitWork work, CancellationToken cancellationToken)
        {
            Steps.Enqueue((work.RequestId, work.FirstLayer));
            var hidden = work.Hidden is null ? null : HiddenStates.FromBytes(work.Hidden.ToBytes());
            return tail.RunSplitAsync(work with { Hidden = hidden }).WaitAsync(cancellationToken);
        }

        public Task MoveKvAsync(MovedKv move, CancellationToken cancellationToken) => throw new InvalidOperationException("nothing moves to a LiveTail");

        public Task EndSplitAsync(string requestId)
        {
            tail.EndSplit(requestId);
            return Task.CompletedTask;
        }

        public void Offer(int blocked) => tail.Offered(blocked);
    }
}
