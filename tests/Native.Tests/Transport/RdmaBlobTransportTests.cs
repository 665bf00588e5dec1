using System.Net;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using BlitzScale.Native.Transport.Rdma;
using static BlitzScale.Native.Tests.Transport.TransferAssertions;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// The RDMA transport's protocol end to end: the real side channel over loopback TCP, the real server and client, and
/// the queue pairs on the software fabric of <see cref="RdmaLoopback"/>, which checks every write's keys and ranges.
/// </summary>
public sealed class RdmaBlobTransportTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly RdmaLoopback _fabric = new();

    [Fact]
    public async Task Whole_image_arrives_byte_identical_with_every_blob_ready_in_order_and_nothing_left_registered()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 51);
        using var target = ParameterImage.Allocate(layout);
        await using var server = Server();
        server.Register(Model, new ImageSource(source));
        var log = new BlobReadyLog();

        var result = await Client().TransferAsync(server.Address, Whole(layout), new ImageSink(target), log).WaitAsync(Bound);

        AssertWholeImageArrived(source, target, log, result);
        await server.DisposeAsync();
        Assert.Equal((0, 0), (_fabric.OpenRegions, _fabric.OpenQueuePairs));
    }

    [Fact]
    public async Task A_sub_range_with_a_chunk_size_that_divides_no_blob_is_written_only_inside_its_registered_region()
    {
        var layout = Layout();
        const int chunk = SmallChunk + 1000;
        using var source = Random(layout, seed: 52);
        using var target = ParameterImage.Allocate(layout);
        await using var server = Server();
        server.Register(Model, new ImageSource(source));
        var log = new BlobReadyLog();

        // The client registers blobs 1..4 only: a write computed against any other base would fail its range check.
        await Client().TransferAsync(server.Address, new TransferRequest(Model, 1, 4, chunk), new ImageSink(target), log).WaitAsync(Bound);

        AssertOnlyBlobs1To4Arrived(source, target, log);
    }

    [Fact]
    public async Task A_corrupted_write_is_detected_fetched_again_and_the_transfer_succeeds()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 53);
        using var target = ParameterImage.Allocate(layout);
        await using var server = Server();
        server.Register(Model, new ImageSource(source));
        int writes = 0;
        _fabric.CorruptWrite = immediate => immediate == 3 && Interlocked.Increment(ref writes) == 1;

        var result = await Client().TransferAsync(server.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound);

        AssertIdentical(source, target);
        Assert.Equal(2, writes);
        Assert.Equal(1, result.RefetchedChunks);
    }

    [Fact]
    public async Task A_chunk_corrupted_on_every_attempt_fails_the_transfer_naming_blob_and_chunk()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 54);
        using var target = ParameterImage.Allocate(layout);
        await using var server = Server();
        server.Register(Model, new ImageSource(source));
        var plan = Whole(layout);
        // The immediate is the chunk's index in the plan: blob 2 chunk 1 comes after every chunk of blobs 0 and 1.
        uint index = (uint)(layout.Blobs.Take(2).Sum(b => (b.ByteLength + SmallChunk - 1) / SmallChunk) + 1);
        _fabric.CorruptWrite = immediate => immediate == index;

        var error = await Assert.ThrowsAsync<ChunkVerificationException>(() =>
            Client().TransferAsync(server.Address, plan, new ImageSink(target)).WaitAsync(Bound));

        AssertGaveUpOnBlob2Chunk1(error, server.Address, target);
    }

    [Fact]
    public async Task A_server_that_dies_mid_transfer_fails_it_with_SourceLost_and_releases_everything_it_registered()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 55, loadedBlobs: 0);
        using var target = ParameterImage.Allocate(layout);
        var sourceSink = new ImageSink(source);
        Land(sourceSink, 0, 2);
        var server = Server();
        server.Register(Model, sourceSink);
        var log = new BlobReadyLog();

        var transfer = Client().TransferAsync(server.Address, Whole(layout), new ImageSink(target), log);
        await log.WhenReady(1);
        await server.DisposeAsync();

        var error = await Assert.ThrowsAsync<SourceLostException>(() => transfer.WaitAsync(Bound));
        Assert.Equal(server.Address, error.Peer);
        Assert.Equal((2, layout.Blobs.Count), (error.BlobsLanded, error.BlobsRequested));
        Assert.Equal((0, 0), (_fabric.OpenRegions, _fabric.OpenQueuePairs));
    }

    [Fact]
    public async Task A_failed_link_fails_the_transfer_with_SourceLost_naming_the_completion_status()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 56, loadedBlobs: 0);
        using var target = ParameterImage.Allocate(layout);
        var sourceSink = new ImageSink(source);
        Land(sourceSink, 0, 1);
        await using var server = Server();
        server.Register(Model, sourceSink);
        var log = new BlobReadyLog();

        var transfer = Client().TransferAsync(server.Address, Whole(layout), new ImageSink(target), log);
        await log.WhenReady(0);
        _fabric.Break();

        var error = await Assert.ThrowsAsync<SourceLostException>(() => transfer.WaitAsync(Bound));
        Assert.Equal(1, error.BlobsLanded);
        Assert.Contains("WorkRequestFlushed", error.Message);
    }

    [Fact]
    public async Task Retiring_a_model_cuts_its_transfers_and_completes_once_the_NIC_no_longer_reads_its_image()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 57, loadedBlobs: 0);
        using var target = ParameterImage.Allocate(layout);
        var sourceSink = new ImageSink(source);
        Land(sourceSink, 0, 1);
        await using var server = Server();
        server.Register(Model, sourceSink);
        var log = new BlobReadyLog();

        var transfer = Client().TransferAsync(server.Address, Whole(layout), new ImageSink(target), log);
        await log.WhenReady(0);
        await server.RetireAsync(Model).WaitAsync(Bound);
        var error = await Assert.ThrowsAsync<SourceLostException>(() => transfer.WaitAsync(Bound));

        Assert.Equal(0, server.ActiveConnections);
        Assert.Equal(1, error.BlobsLanded);
        Assert.Equal((0, 0), (_fabric.OpenRegions, _fabric.OpenQueuePairs));
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_clearly_and_the_server_keeps_serving_others()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 58);
        using var target = ParameterImage.Allocate(layout);
        await using var server = Server();
        server.Register(Model, new ImageSource(source));
        byte[] wrong = [.. Secret];
        wrong[0] ^= 1;

        var error = await Assert.ThrowsAsync<PeerRefusedException>(() =>
            new RdmaBlobTransport(wrong, null, _fabric.OpenNic("client")).TransferAsync(server.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound));
        await Client().TransferAsync(server.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound);

        Assert.Equal(server.Address, error.Peer);
        Assert.Equal(1, server.RefusedConnections);
        AssertIdentical(source, target);
    }

    [Fact]
    public async Task An_unknown_model_is_refused_by_name_before_any_queue_pair_connects()
    {
        var layout = Layout();
        using var target = ParameterImage.Allocate(layout);
        await using var server = Server();

        var error = await Assert.ThrowsAsync<TransferException>(() =>
            Client().TransferAsync(server.Address, new TransferRequest("other", 0, 1), new ImageSink(target)).WaitAsync(Bound));

        Assert.Contains($"model \"other\" is not served by {server.Address}", error.Message);
        Assert.Equal(0, _fabric.OpenRegions);
    }

    [Fact]
    public async Task A_chain_of_two_forwards_from_filling_images_and_every_image_equals_the_source()
    {
        var layout = Layout();
        int last = layout.Blobs.Count - 1;
        using var rootImage = Random(layout, seed: 59, loadedBlobs: 0);
        using var middleImage = ParameterImage.Allocate(layout);
        using var leafImage = ParameterImage.Allocate(layout);
        var root = new ImageSink(rootImage);
        Land(root, 0, last);
        await using var rootServer = Server();
        await using var middleServer = Server();
        rootServer.Register(Model, root);
        var middle = new ImageSink(middleImage);
        middleServer.Register(Model, middle);
        var middleLog = new BlobReadyLog();
        var leafLog = new BlobReadyLog();

        var toMiddle = Client().TransferAsync(rootServer.Address, Whole(layout), middle, middleLog);
        var toLeaf = Client().TransferAsync(middleServer.Address, Whole(layout), new ImageSink(leafImage), leafLog);
        await leafLog.WhenReady(0);
        bool middleWasStillLoading = !toMiddle.IsCompleted;
        Land(root, last, last + 1);
        await Task.WhenAll(toMiddle, toLeaf).WaitAsync(Bound);

        Assert.True(middleWasStillLoading);
        AssertIdentical(rootImage, middleImage);
        AssertIdentical(rootImage, leafImage);
        Assert.Equal(Enumerable.Range(0, layout.Blobs.Count), leafLog.Blobs);
    }

    private RdmaBlobServer Server() => RdmaBlobServer.Start(Loopback, Secret, _fabric.OpenNic("server"), new RdmaServerOptions { SendDepth = 4 });

    private RdmaBlobTransport Client() => new(Secret, new RdmaTransportOptions { ReceiveDepth = 8 }, _fabric.OpenNic("client"));
}
