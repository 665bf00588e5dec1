using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Tensors;
using BlitzScale.Native.Transport;
using BlitzScale.Native.Transport.SharedMemory;
using static BlitzScale.Native.Tests.Transport.TransferAssertions;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// The shared-memory transport: server and client in one test process, talking only through the Unix socket and the
/// mapped ring file, which is exactly the path between two processes on a host.
/// </summary>
public sealed class SharedMemoryBlobTransportTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly SharedMemoryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Whole_image_arrives_byte_identical_with_every_blob_ready_in_order_and_no_ring_left_behind()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 31);
        using var target = ParameterImage.Allocate(layout);
        await using var server = SharedMemoryBlobServer.Start(_directory.Path, "gpu0", Secret);
        server.Register(Model, new ImageSource(source));
        var log = new BlobReadyLog();

        var result = await new SharedMemoryBlobTransport(Secret)
            .TransferAsync(server.Address, Whole(layout), new ImageSink(target), log).WaitAsync(Bound);

        AssertWholeImageArrived(source, target, log, result);
        Assert.Equal(["gpu0.sock"], _directory.Files);
    }

    [Fact]
    public async Task A_two_slot_ring_with_a_chunk_size_that_divides_no_blob_and_a_sub_range_arrives_intact()
    {
        var layout = Layout();
        const int chunk = SmallChunk + 1000;
        Assert.Contains(layout.Blobs, b => b.ByteLength % chunk != 0);
        using var source = Random(layout, seed: 32);
        using var target = ParameterImage.Allocate(layout);
        await using var server = SharedMemoryBlobServer.Start(_directory.Path, "gpu0", Secret, new SharedMemoryServerOptions { Slots = 2 });
        server.Register(Model, new ImageSource(source));
        var log = new BlobReadyLog();

        var result = await new SharedMemoryBlobTransport(Secret)
            .TransferAsync(server.Address, new TransferRequest(Model, 1, 4, chunk), new ImageSink(target), log).WaitAsync(Bound);

        AssertOnlyBlobs1To4Arrived(source, target, log);
        Assert.True(result.Chunks > 2 * 3, "more chunks than slots, so slots were reused");
    }

    [Fact]
    public async Task A_corrupted_staged_chunk_is_detected_fetched_again_and_the_transfer_succeeds()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 33);
        using var target = ParameterImage.Allocate(layout);
        await using var server = SharedMemoryBlobServer.Start(_directory.Path, "gpu0", Secret);
        server.Register(Model, new ImageSource(source));
        int sends = 0;
        server.CorruptOnSend = (blob, offset) => blob == 2 && offset == SmallChunk && Interlocked.Increment(ref sends) == 1;

        var result = await new SharedMemoryBlobTransport(Secret)
            .TransferAsync(server.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound);

        AssertIdentical(source, target);
        Assert.Equal(2, sends);
        Assert.Equal(1, result.RefetchedChunks);
    }

    [Fact]
    public async Task A_chunk_corrupted_on_every_attempt_fails_the_transfer_naming_blob_chunk_and_peer()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 34);
        using var target = ParameterImage.Allocate(layout);
        await using var server = SharedMemoryBlobServer.Start(_directory.Path, "gpu0", Secret);
        server.Register(Model, new ImageSource(source));
        server.CorruptOnSend = (blob, offset) => blob == 2 && offset == SmallChunk;

        var error = await Assert.ThrowsAsync<ChunkVerificationException>(() =>
            new SharedMemoryBlobTransport(Secret).TransferAsync(server.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound));

        AssertGaveUpOnBlob2Chunk1(error, server.Address, target);
    }

    [Fact]
    public async Task A_server_that_dies_mid_transfer_fails_it_with_SourceLost_naming_the_peer()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 35, loadedBlobs: 0);
        using var target = ParameterImage.Allocate(layout);
        // The source is itself still receiving: it holds blobs 0 and 1, so the transfer is mid-way when it dies.
        var sourceSink = new ImageSink(source);
        Land(sourceSink, 0, 2);
        var server = SharedMemoryBlobServer.Start(_directory.Path, "gpu0", Secret);
        server.Register(Model, sourceSink);
        var log = new BlobReadyLog();

        var transfer = new SharedMemoryBlobTransport(Secret).TransferAsync(server.Address, Whole(layout), new ImageSink(target), log);
        await log.WhenReady(1);
        await server.DisposeAsync();

        var error = await Assert.ThrowsAsync<SourceLostException>(() => transfer.WaitAsync(Bound));
        Assert.Equal(server.Address, error.Peer);
        Assert.Equal((2, layout.Blobs.Count), (error.BlobsLanded, error.BlobsRequested));
        Assert.Contains($"source {server.Address} was lost after 2 of {layout.Blobs.Count} blobs", error.Message);
        Assert.Empty(_directory.Files);
    }

    [Fact]
    public async Task Retiring_a_model_cuts_its_transfers_and_completes_once_they_stopped_reading_it()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 36, loadedBlobs: 0);
        using var target = ParameterImage.Allocate(layout);
        var sourceSink = new ImageSink(source);
        Land(sourceSink, 0, 1);
        await using var server = SharedMemoryBlobServer.Start(_directory.Path, "gpu0", Secret);
        server.Register(Model, sourceSink);
        var log = new BlobReadyLog();

        var transfer = new SharedMemoryBlobTransport(Secret).TransferAsync(server.Address, Whole(layout), new ImageSink(target), log);
        await log.WhenReady(0);
        await server.RetireAsync(Model).WaitAsync(Bound);

        Assert.Equal(0, server.ActiveConnections);
        var error = await Assert.ThrowsAsync<SourceLostException>(() => transfer.WaitAsync(Bound));
        Assert.Equal(1, error.BlobsLanded);
        var refused = await Assert.ThrowsAsync<TransferException>(() =>
            new SharedMemoryBlobTransport(Secret).TransferAsync(server.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound));
        Assert.Contains($"model \"{Model}\" is not served by {server.Address}", refused.Message);
    }

    [Fact]
    public async Task A_missing_server_is_a_lost_source_with_nothing_landed()
    {
        var layout = Layout();
        using var target = ParameterImage.Allocate(layout);
        string peer = Path.Combine(_directory.Path, "nobody.sock");

        var error = await Assert.ThrowsAsync<SourceLostException>(() =>
            new SharedMemoryBlobTransport(Secret).TransferAsync(peer, Whole(layout), new ImageSink(target)).WaitAsync(Bound));

        Assert.Equal(0, error.BlobsLanded);
        Assert.Contains(peer, error.Message);
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_clearly_and_the_server_keeps_serving_others()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 37);
        using var target = ParameterImage.Allocate(layout);
        await using var server = SharedMemoryBlobServer.Start(_directory.Path, "gpu0", Secret);
        server.Register(Model, new ImageSource(source));
        byte[] wrong = [.. Secret];
        wrong[0] ^= 1;

        var error = await Assert.ThrowsAsync<PeerRefusedException>(() =>
            new SharedMemoryBlobTransport(wrong).TransferAsync(server.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound));
        await new SharedMemoryBlobTransport(Secret).TransferAsync(server.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound);

        Assert.Equal(server.Address, error.Peer);
        Assert.Contains($"peer {server.Address} refused the cluster secret", error.Message);
        Assert.Equal(1, server.RefusedConnections);
        AssertIdentical(source, target);
    }

    [Fact]
    public async Task Cancellation_stops_the_transfer_and_frees_its_connection_and_ring()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 38);
        using var target = ParameterImage.Allocate(layout);
        await using var server = SharedMemoryBlobServer.Start(_directory.Path, "gpu0", Secret);
        server.Register(Model, new ImageSource(source));
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.ConnectionClosed += () =>
        {
            if (server.ActiveConnections == 0) idle.TrySetResult();
        };
        using var cancel = new CancellationTokenSource();
        var log = new BlobReadyLog { OnReady = _ => cancel.Cancel() };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new SharedMemoryBlobTransport(Secret).TransferAsync(server.Address, Whole(layout), new ImageSink(target), log, cancel.Token).WaitAsync(Bound));
        await idle.Task.WaitAsync(Bound);

        Assert.Equal([0], log.Blobs);
        Assert.False(target.IsLoaded(1));
        Assert.Equal(["gpu0.sock"], _directory.Files);
    }

    [Fact]
    public async Task An_unknown_model_or_a_different_layout_is_refused_by_name()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 39);
        var bf16 = Layout(dtype: DType.BF16);
        using var target = ParameterImage.Allocate(bf16);
        await using var server = SharedMemoryBlobServer.Start(_directory.Path, "gpu0", Secret);
        server.Register(Model, new ImageSource(source));
        var transport = new SharedMemoryBlobTransport(Secret);

        var unknown = await Assert.ThrowsAsync<TransferException>(() =>
            transport.TransferAsync(server.Address, new TransferRequest("other", 0, 1), new ImageSink(target)).WaitAsync(Bound));
        var differs = await Assert.ThrowsAsync<TransferException>(() =>
            transport.TransferAsync(server.Address, Whole(bf16), new ImageSink(target)).WaitAsync(Bound));

        Assert.Contains($"model \"other\" is not served by {server.Address}", unknown.Message);
        Assert.Contains("the layouts differ", differs.Message);
    }

    [Fact]
    public async Task A_second_server_on_a_live_path_is_refused_and_a_stale_socket_file_is_replaced()
    {
        await using (var first = SharedMemoryBlobServer.Start(_directory.Path, "gpu0", Secret))
        {
            var error = Assert.Throws<IOException>(() => SharedMemoryBlobServer.Start(_directory.Path, "gpu0", Secret));
            Assert.Contains($"already listens on {first.Address}", error.Message);
        }
        // A file where the socket was, as a crashed process leaves it.
        string stale = Path.Combine(_directory.Path, "gpu1.sock");
        await File.WriteAllBytesAsync(stale, []);

        await using var second = SharedMemoryBlobServer.Start(_directory.Path, "gpu1", Secret);

        Assert.Equal(stale, second.Address);
    }
}
