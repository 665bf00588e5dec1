using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransferAssertions;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// What every blob transport must do, stated once and run against each (a test class per transport derives from it
/// with its <see cref="TransportHarness"/>): whole images and sub-ranges arrive intact and in order, corrupted chunks
/// are fetched again or the transfer gives up naming them, an absent source is lost, cancellation stops a transfer,
/// and a chain forwards from images still being filled. <see cref="ServerTransportConformance{THarness}"/> adds what
/// transports with a blob server must also do.
/// </summary>
public abstract class TransportConformance<THarness> : IDisposable
    where THarness : TransportHarness, new()
{
    protected static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    protected THarness Harness { get; } = new();

    public void Dispose()
    {
        Harness.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Whole_image_arrives_byte_identical_with_every_blob_ready_in_order_and_nothing_left_behind()
    {
        await using var served = ServedImage.Start(Harness, seed: 1);
        var closed = served.Peer.WhenAllConnectionsClosed();
        var log = new BlobReadyLog();

        var result = await Harness.Client()
            .TransferAsync(served.Peer.Address, Whole(served.Layout), new ImageSink(served.Target), log).WaitAsync(Bound);
        await closed.WaitAsync(Bound);

        AssertWholeImageArrived(served.Source, served.Target, log, result);
        Harness.AssertNothingLeftBehind();
        await served.Peer.DisposeAsync();
        Harness.AssertNothingLeftBehind();
    }

    [Fact]
    public Task A_chunk_size_that_divides_no_blob_and_a_sub_range_arrive_intact() => SubRangeArrivesIntact(seed: 2);

    /// <summary>Blobs 1..4 in chunks that divide no blob arrive intact, and only they; returns the transfer's result.</summary>
    protected async Task<TransferResult> SubRangeArrivesIntact(int seed)
    {
        const int chunk = SmallChunk + 1000;
        await using var served = ServedImage.Start(Harness, seed);
        Assert.Contains(served.Layout.Blobs, b => b.ByteLength % chunk != 0);
        var log = new BlobReadyLog();

        // Over RDMA the client registers blobs 1..4 only: a write computed against any other base fails its range check.
        var result = await Harness.Client()
            .TransferAsync(served.Peer.Address, new TransferRequest(Model, 1, 4, chunk), new ImageSink(served.Target), log).WaitAsync(Bound);

        AssertOnlyBlobs1To4Arrived(served.Source, served.Target, log);
        Assert.Equal(served.Layout.Blobs.Skip(1).Take(3).Sum(b => b.ByteLength), result.Bytes);
        return result;
    }

    [Fact]
    public async Task A_corrupted_chunk_is_detected_fetched_again_and_the_transfer_succeeds()
    {
        await using var served = ServedImage.Start(Harness, seed: 3);
        int sends = 0;
        Harness.CorruptChunk = (blob, offset) => blob == 2 && offset == SmallChunk && Interlocked.Increment(ref sends) == 1;

        var result = await Harness.Client().TransferAsync(served.Peer.Address, Whole(served.Layout), new ImageSink(served.Target)).WaitAsync(Bound);

        AssertIdentical(served.Source, served.Target);
        Assert.Equal(2, sends);
        Assert.Equal(1, result.RefetchedChunks);
    }

    [Fact]
    public async Task A_chunk_corrupted_on_every_attempt_fails_the_transfer_naming_blob_chunk_and_peer()
    {
        await using var served = ServedImage.Start(Harness, seed: 4);
        Harness.CorruptChunk = (blob, offset) => blob == 2 && offset == SmallChunk;

        var error = await Assert.ThrowsAsync<ChunkVerificationException>(() =>
            Harness.Client().TransferAsync(served.Peer.Address, Whole(served.Layout), new ImageSink(served.Target)).WaitAsync(Bound));

        AssertGaveUpOnBlob2Chunk1(error, served.Peer.Address, served.Target);
    }

    [Fact]
    public async Task An_absent_source_is_lost_with_nothing_landed()
    {
        var layout = Layout();
        using var target = ParameterImage.Allocate(layout);
        string peer = Harness.AbsentPeer;

        var error = await Assert.ThrowsAsync<SourceLostException>(() =>
            Harness.Client().TransferAsync(peer, Whole(layout), new ImageSink(target)).WaitAsync(Bound));

        Assert.Equal(peer, error.Peer);
        Assert.Equal(0, error.BlobsLanded);
        Assert.Contains(peer, error.Message);
    }

    [Fact]
    public async Task Cancellation_stops_the_transfer_and_frees_its_connection()
    {
        using var cancel = new CancellationTokenSource();
        // The source holds blobs 0 and 1: blob 1 is there to be fetched, but the transfer can never finish on its own.
        await using var filling = FillingTransfer.Start(Harness, seed: 5, heldBlobs: 2, new BlobReadyLog { OnReady = _ => cancel.Cancel() }, cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => filling.Transfer.WaitAsync(Bound));
        await filling.ConnectionsClosed.WaitAsync(Bound);

        Assert.Equal([0], filling.Log.Blobs);
        Assert.False(filling.Target.IsLoaded(1));
        Assert.Equal(0, filling.Peer.ActiveConnections);
        Harness.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_chain_of_three_forwards_while_receiving_and_every_image_equals_the_source()
    {
        var layout = Layout();
        int last = layout.Blobs.Count - 1;
        using var rootImage = Random(layout, seed: 6, loadedBlobs: 0);
        // The root is itself still receiving: it holds every blob but the last until the test lands it. If any node
        // waited for a whole image before forwarding, the last node's first blob could never become ready.
        var root = new ImageSink(rootImage);
        Land(root, 0, last);
        await using var chain = TransferChain.Start(Harness, layout, root, nodes: 3);

        await chain.Logs[^1].WhenReady(0);
        bool firstNodeWasStillLoading = !chain.Transfers[0].IsCompleted;
        Land(root, last, last + 1);
        await Task.WhenAll(chain.Transfers).WaitAsync(Bound);

        Assert.True(firstNodeWasStillLoading);
        foreach (var (image, log) in chain.Images.Zip(chain.Logs))
        {
            AssertIdentical(rootImage, image);
            Assert.Equal(Enumerable.Range(0, layout.Blobs.Count), log.Blobs);
        }
    }

    [Fact]
    public async Task A_forwarding_node_whose_own_source_fails_reports_it_as_lost_downstream()
    {
        await using var filling = FillingTransfer.Start(Harness, seed: 7, heldBlobs: 1);
        int blobs = filling.Layout.Blobs.Count;

        await filling.Log.WhenReady(0);
        // The forwarding node's own transfer fails, as TransferTracker.Fail does on a lost upstream.
        filling.Source.TransferFailed(0, blobs, new SourceLostException("upstream", Model, 1, blobs, "test"));

        var error = await Assert.ThrowsAsync<SourceLostException>(() => filling.Transfer.WaitAsync(Bound));
        Assert.Equal(filling.Peer.Address, error.Peer);
        Assert.Equal(1, error.BlobsLanded);
        Assert.Contains("its own source was lost", error.Message);
    }

    [Fact]
    public async Task A_source_lost_mid_blob_leaves_its_verified_chunks_and_another_source_sends_only_the_rest()
    {
        var layout = Layout();
        int partial = Enumerable.Range(0, layout.Blobs.Count).First(b => layout.Blobs[b].ByteLength > 3L * SmallChunk);
        int blobs = layout.Blobs.Count;
        const int keptChunks = 2;
        using var sourceImage = Random(layout, seed: 40, loadedBlobs: 0);
        var upstream = new ImageSink(sourceImage);
        // The first source holds the blobs before `partial` and two chunks of it: it sends those, then waits for the rest.
        Land(upstream, 0, partial);
        Assert.False(upstream.ChunkLanded(partial, 0, keptChunks * SmallChunk));
        using var target = ParameterImage.Allocate(layout);
        var first = new ImageSink(target);
        await using (var dying = Harness.Serve(upstream))
        {
            var transfer = Harness.Client().TransferAsync(dying.Address, Whole(layout), first);
            // Once the target has landed all the first source can send (a read of its sink returns when the bytes have
            // landed), that source's own source is lost: it tells the client, which keeps what landed and verified.
            await first.ReadAsync(partial, 0, keptChunks * SmallChunk).AsTask().WaitAsync(Bound);
            upstream.TransferFailed(0, blobs, new SourceLostException("upstream", Model, partial, blobs, "test"));
            await Assert.ThrowsAsync<SourceLostException>(() => transfer.WaitAsync(Bound));
        }
        long[] kept = first.LandedPrefixes();
        Assert.Equal(keptChunks * SmallChunk, kept[partial]);
        Assert.False(target.IsLoaded(partial));

        // A second source sends only the chunks the target lacks: none of the kept ones travels again.
        await using var served = ServedImage.Start(Harness, seed: 40);
        var resent = new List<(int Blob, long Offset)>();
        Harness.CorruptChunk = (blob, offset) =>
        {
            lock (resent) resent.Add((blob, offset));
            return false;
        };
        var resumed = new ImageSink(target, kept);
        var rest = new BlobReadyLog();
        var result = await Harness.Client()
            .TransferAsync(served.Peer.Address, new TransferRequest(Model, partial, blobs, SmallChunk, firstChunk: keptChunks), resumed, rest)
            .WaitAsync(Bound);

        AssertIdentical(served.Source, target);
        long lacked = layout.Blobs.Skip(partial).Sum(b => b.ByteLength) - keptChunks * SmallChunk;
        Assert.Equal(lacked, result.Bytes);
        Assert.Equal(Enumerable.Range(partial, blobs - partial), rest.Blobs);
        Assert.DoesNotContain(resent, c => c.Blob < partial || c.Blob == partial && c.Offset < keptChunks * SmallChunk);
    }
}
