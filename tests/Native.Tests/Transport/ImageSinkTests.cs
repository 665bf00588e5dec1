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

    [Fact]
    public async Task A_sink_made_with_the_prefixes_a_failed_one_left_serves_them_at_once_and_completes_a_blob_with_the_rest()
    {
        var layout = Layout();
        using var image = Random(layout, seed: 31, loadedBlobs: 0);
        var failed = new ImageSink(image);
        int blobLength = (int)layout.Blobs[1].ByteLength;
        int half = blobLength / 2;
        Land(failed, 0, 1);
        Assert.False(failed.ChunkLanded(1, 0, half));
        // Verified past a gap: not part of the prefix, so not kept.
        Assert.False(failed.ChunkLanded(2, SmallChunk, SmallChunk));

        long[] kept = failed.LandedPrefixes();
        Assert.Equal(layout.Blobs[0].ByteLength, kept[0]);
        Assert.Equal(half, kept[1]);
        Assert.Equal(0, kept[2]);

        var resumed = new ImageSink(image, kept);
        Assert.Equal(half, resumed.LandedBytes(1));
        Assert.False(image.IsLoaded(1));
        var heldRead = resumed.ReadAsync(1, 0, half).AsTask();
        Assert.True(heldRead.IsCompletedSuccessfully);
        Assert.True((await heldRead).Span.SequenceEqual(image.BlobBytes(1)[..half]));
        var restRead = resumed.ReadAsync(1, half, blobLength - half).AsTask();
        Assert.False(restRead.IsCompleted);

        Assert.True(resumed.ChunkLanded(1, half, blobLength - half));
        Assert.True(image.IsLoaded(1));
        Assert.Equal(blobLength - half, (await restRead.WaitAsync(Bound)).Length);
    }

    [Fact]
    public void Landed_prefixes_that_do_not_fit_the_image_are_refused_naming_the_problem()
    {
        var layout = Layout();
        using var image = ParameterImage.Allocate(layout);
        int blobs = layout.Blobs.Count;

        var count = Assert.Throws<ArgumentException>(() => new ImageSink(image, new long[blobs - 1]));
        Assert.Contains($"{blobs - 1} landed prefixes given for an image of {blobs} blobs", count.Message);
        var tooLong = new long[blobs];
        tooLong[1] = layout.Blobs[1].ByteLength + 1;
        var past = Assert.Throws<ArgumentException>(() => new ImageSink(image, tooLong));
        Assert.Contains($"blob 1 has {layout.Blobs[1].ByteLength} bytes", past.Message);

        // A prefix as long as its blob is the whole blob: marked loaded.
        var whole = new long[blobs];
        whole[3] = layout.Blobs[3].ByteLength;
        _ = new ImageSink(image, whole);
        Assert.True(image.IsLoaded(3));
    }
}
