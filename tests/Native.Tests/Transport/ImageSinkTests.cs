using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>Readiness inside an image being filled: landed prefixes, gaps, waiting readers, failure and cancellation.</summary>
public sealed class ImageSinkTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_read_waits_until_its_bytes_land_and_a_chunk_past_a_gap_counts_once_the_gap_fills()
    {
        var layout = Layout();
        using var image = ParameterImage.Allocate(layout);
        var sink = new ImageSink(image);
        int blobLength = (int)layout.Blobs[1].ByteLength;
        int half = blobLength / 2;

        var read = sink.ReadAsync(1, half, blobLength - half).AsTask();
        Assert.False(sink.ChunkLanded(1, half, blobLength - half));
        Assert.Equal(0, sink.LandedBytes(1));
        Assert.False(read.IsCompleted);
        Assert.True(sink.ChunkLanded(1, 0, half));
        var bytes = await read.WaitAsync(Bound);

        Assert.Equal(blobLength, sink.LandedBytes(1));
        Assert.True(image.IsLoaded(1));
        Assert.False(sink.ChunkLanded(1, 0, half));
        Assert.Equal(blobLength - half, bytes.Length);
        Assert.True(bytes.Span.SequenceEqual(image.BlobBytes(1)[half..]));
    }

    [Fact]
    public async Task A_failed_transfer_fails_waiting_readers_of_its_blobs_only_and_a_cancelled_read_stops_waiting()
    {
        var layout = Layout();
        using var image = ParameterImage.Allocate(layout);
        var sink = new ImageSink(image);
        var lost = new InvalidOperationException("upstream gone");
        using var cancel = new CancellationTokenSource();

        var inFailedRange = sink.ReadAsync(2, 0, 4096).AsTask();
        var outside = sink.ReadAsync(4, 0, 4096).AsTask();
        var cancelled = sink.ReadAsync(5, 0, 4096, cancel.Token).AsTask();
        sink.TransferFailed(1, 4, lost);
        await cancel.CancelAsync();

        Assert.Same(lost, await Assert.ThrowsAsync<InvalidOperationException>(() => inFailedRange.WaitAsync(Bound)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => sink.ReadAsync(3, 0, 4096).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Bound));
        Assert.False(outside.IsCompleted);
        sink.ChunkLanded(4, 0, 4096);
        await outside.WaitAsync(Bound);
    }

    [Fact]
    public async Task Blobs_loaded_before_the_sink_was_made_are_served_at_once()
    {
        var layout = Layout();
        using var image = Random(layout, seed: 31, loadedBlobs: 2);
        var sink = new ImageSink(image);

        var bytes = await sink.ReadAsync(1, 0, 4096);

        Assert.True(bytes.Span.SequenceEqual(image.BlobBytes(1)[..4096]));
        Assert.False(sink.ReadAsync(2, 0, 4096).IsCompleted);
    }
}
