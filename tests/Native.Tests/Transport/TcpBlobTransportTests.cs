using System.Net;
using System.Net.Sockets;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Tensors;
using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransferAssertions;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>The TCP transport on loopback: whole images, chunking, hash refetch, source loss, authentication, cancellation.</summary>
public sealed class TcpBlobTransportTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Whole_image_arrives_byte_identical_with_every_blob_ready_in_order()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 1);
        using var target = ParameterImage.Allocate(layout);
        await using var server = BlobServer.Start(Loopback, Secret);
        server.Register(Model, new ImageSource(source));
        var log = new BlobReadyLog();

        var result = await new TcpBlobTransport(Secret)
            .TransferAsync(server.Address, Whole(layout), new ImageSink(target), log).WaitAsync(Bound);

        AssertWholeImageArrived(source, target, log, result);
    }

    [Fact]
    public async Task A_chunk_size_that_divides_no_blob_and_a_sub_range_arrive_intact()
    {
        var layout = Layout();
        const int chunk = SmallChunk + 1000;
        Assert.Contains(layout.Blobs, b => b.ByteLength % chunk != 0);
        using var source = Random(layout, seed: 2);
        using var target = ParameterImage.Allocate(layout);
        await using var server = BlobServer.Start(Loopback, Secret);
        server.Register(Model, new ImageSource(source));
        var log = new BlobReadyLog();

        await new TcpBlobTransport(Secret)
            .TransferAsync(server.Address, new TransferRequest(Model, 1, 4, chunk), new ImageSink(target), log).WaitAsync(Bound);

        AssertOnlyBlobs1To4Arrived(source, target, log);
    }

    [Fact]
    public async Task A_corrupted_chunk_is_detected_fetched_again_and_the_transfer_succeeds()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 3);
        using var target = ParameterImage.Allocate(layout);
        await using var server = BlobServer.Start(Loopback, Secret);
        server.Register(Model, new ImageSource(source));
        int sends = 0;
        server.CorruptOnSend = (blob, offset) => blob == 2 && offset == SmallChunk && Interlocked.Increment(ref sends) == 1;

        var result = await new TcpBlobTransport(Secret)
            .TransferAsync(server.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound);

        AssertIdentical(source, target);
        Assert.Equal(2, sends);
        Assert.Equal(1, result.RefetchedChunks);
    }

    [Fact]
    public async Task A_chunk_corrupted_on_every_attempt_fails_the_transfer_naming_blob_and_chunk()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 4);
        using var target = ParameterImage.Allocate(layout);
        await using var server = BlobServer.Start(Loopback, Secret);
        server.Register(Model, new ImageSource(source));
        server.CorruptOnSend = (blob, offset) => blob == 2 && offset == SmallChunk;

        var error = await Assert.ThrowsAsync<ChunkVerificationException>(() =>
            new TcpBlobTransport(Secret).TransferAsync(server.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound));

        AssertGaveUpOnBlob2Chunk1(error, server.Address, target);
    }

    [Fact]
    public async Task A_source_that_dies_mid_transfer_fails_it_with_SourceLost_naming_the_peer()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 5, loadedBlobs: 0);
        using var target = ParameterImage.Allocate(layout);
        // The source is itself still receiving: it holds blobs 0 and 1, so the transfer is mid-way when it dies.
        var sourceSink = new ImageSink(source);
        Land(sourceSink, 0, 2);
        var server = BlobServer.Start(Loopback, Secret);
        server.Register(Model, sourceSink);
        var log = new BlobReadyLog();

        var transfer = new TcpBlobTransport(Secret).TransferAsync(server.Address, Whole(layout), new ImageSink(target), log);
        await log.WhenReady(1);
        await server.DisposeAsync();

        var error = await Assert.ThrowsAsync<SourceLostException>(() => transfer.WaitAsync(Bound));
        Assert.Equal(server.Address, error.Peer);
        Assert.Equal(2, error.BlobsLanded);
        Assert.Equal(layout.Blobs.Count, error.BlobsRequested);
        Assert.Contains($"source {server.Address} was lost after 2 of {layout.Blobs.Count} blobs", error.Message);
    }

    [Fact]
    public async Task An_unreachable_source_is_lost_with_nothing_landed()
    {
        var layout = Layout();
        using var target = ParameterImage.Allocate(layout);
        // Bound but not listening: connecting is refused, and the port stays ours.
        using var closed = new Socket(SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(Loopback);
        string peer = closed.LocalEndPoint!.ToString()!;

        var error = await Assert.ThrowsAsync<SourceLostException>(() =>
            new TcpBlobTransport(Secret).TransferAsync(peer, Whole(layout), new ImageSink(target)).WaitAsync(Bound));

        Assert.Equal(0, error.BlobsLanded);
        Assert.Contains(peer, error.Message);
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_clearly_and_the_server_keeps_serving_others()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 6);
        using var target = ParameterImage.Allocate(layout);
        await using var server = BlobServer.Start(Loopback, Secret);
        server.Register(Model, new ImageSource(source));
        byte[] wrong = [.. Secret];
        wrong[0] ^= 1;

        var error = await Assert.ThrowsAsync<PeerRefusedException>(() =>
            new TcpBlobTransport(wrong).TransferAsync(server.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound));
        await new TcpBlobTransport(Secret).TransferAsync(server.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound);

        Assert.Equal(server.Address, error.Peer);
        Assert.Contains($"peer {server.Address} refused the cluster secret", error.Message);
        Assert.Equal(1, server.RefusedConnections);
        AssertIdentical(source, target);
    }

    [Fact]
    public async Task Cancellation_stops_the_transfer_and_frees_its_connection()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 7);
        using var target = ParameterImage.Allocate(layout);
        await using var server = BlobServer.Start(Loopback, Secret);
        server.Register(Model, new ImageSource(source));
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.ConnectionClosed += () =>
        {
            if (server.ActiveConnections == 0) idle.TrySetResult();
        };
        using var cancel = new CancellationTokenSource();
        var log = new BlobReadyLog { OnReady = _ => cancel.Cancel() };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new TcpBlobTransport(Secret).TransferAsync(server.Address, Whole(layout), new ImageSink(target), log, cancel.Token).WaitAsync(Bound));
        await idle.Task.WaitAsync(Bound);

        Assert.Equal([0], log.Blobs);
        Assert.False(target.IsLoaded(1));
        Assert.Equal(0, server.ActiveConnections);
    }

    [Fact]
    public async Task An_unknown_model_or_a_different_layout_is_refused_by_name()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 8);
        var bf16 = Layout(dtype: DType.BF16);
        using var target = ParameterImage.Allocate(bf16);
        await using var server = BlobServer.Start(Loopback, Secret);
        server.Register(Model, new ImageSource(source));
        var transport = new TcpBlobTransport(Secret);

        var unknown = await Assert.ThrowsAsync<TransferException>(() =>
            transport.TransferAsync(server.Address, new TransferRequest("other", 0, 1), new ImageSink(target)).WaitAsync(Bound));
        var differs = await Assert.ThrowsAsync<TransferException>(() =>
            transport.TransferAsync(server.Address, Whole(bf16), new ImageSink(target)).WaitAsync(Bound));

        Assert.Contains($"model \"other\" is not served by {server.Address}", unknown.Message);
        Assert.Contains("the layouts differ", differs.Message);
    }
}
