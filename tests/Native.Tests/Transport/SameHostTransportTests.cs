using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>The same-host transport (two GPUs of one host over NVLink): a chunked, hashed copy inside the process.</summary>
public sealed class SameHostTransportTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Copies_the_image_byte_identical_with_blobs_ready_in_order()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 21);
        using var target = ParameterImage.Allocate(layout);
        var transport = new SameHostTransport();
        transport.Register("h1/gpu0", Model, new ImageSource(source));
        var log = new BlobReadyLog();

        var result = await transport.TransferAsync("h1/gpu0", Whole(layout, SmallChunk + 1000), new ImageSink(target), log).WaitAsync(Bound);

        AssertIdentical(source, target);
        Assert.Equal(Enumerable.Range(0, layout.Blobs.Count), log.Blobs);
        Assert.Equal(layout.TotalBytes, result.Bytes);
    }

    [Fact]
    public async Task A_corrupted_copy_is_redone_and_a_persistently_corrupted_one_fails_by_name()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 22);
        using var once = ParameterImage.Allocate(layout);
        using var always = ParameterImage.Allocate(layout);
        var transport = new SameHostTransport();
        transport.Register("h1/gpu0", Model, new ImageSource(source));
        int copies = 0;
        transport.CorruptOnCopy = (blob, offset) => blob == 3 && offset == 0 && Interlocked.Increment(ref copies) == 1;

        var result = await transport.TransferAsync("h1/gpu0", Whole(layout), new ImageSink(once)).WaitAsync(Bound);
        transport.CorruptOnCopy = (blob, offset) => blob == 3 && offset == 0;
        var error = await Assert.ThrowsAsync<ChunkVerificationException>(() =>
            transport.TransferAsync("h1/gpu0", Whole(layout), new ImageSink(always)).WaitAsync(Bound));

        AssertIdentical(source, once);
        Assert.Equal(1, result.RefetchedChunks);
        Assert.Equal((3, 0), (error.Blob, error.Chunk));
        Assert.Contains("blob 3 chunk 0", error.Message);
        Assert.Contains("h1/gpu0", error.Message);
    }

    [Fact]
    public async Task A_peer_that_holds_no_copy_is_a_lost_source()
    {
        var layout = Layout();
        using var target = ParameterImage.Allocate(layout);

        var error = await Assert.ThrowsAsync<SourceLostException>(() =>
            new SameHostTransport().TransferAsync("h1/gpu3", Whole(layout), new ImageSink(target)).WaitAsync(Bound));

        Assert.Equal("h1/gpu3", error.Peer);
        Assert.Equal(0, error.BlobsLanded);
    }

    [Fact]
    public async Task Copies_from_an_image_still_being_filled_as_its_blobs_land()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 23, loadedBlobs: 0);
        using var target = ParameterImage.Allocate(layout);
        var filling = new ImageSink(source);
        var transport = new SameHostTransport();
        transport.Register("h1/gpu0", Model, filling);
        var log = new BlobReadyLog();

        var transfer = transport.TransferAsync("h1/gpu0", Whole(layout), new ImageSink(target), log);
        Land(filling, 0, 1);
        await log.WhenReady(0);
        bool waitingForTheRest = !transfer.IsCompleted;
        Land(filling, 1, layout.Blobs.Count);
        await transfer.WaitAsync(Bound);

        Assert.True(waitingForTheRest);
        AssertIdentical(source, target);
    }
}
