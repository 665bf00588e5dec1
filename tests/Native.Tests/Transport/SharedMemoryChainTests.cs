using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using BlitzScale.Native.Transport.SharedMemory;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>Chains over shared memory: a server forwards from an image that is still being filled, chunk by chunk as it lands.</summary>
public sealed class SharedMemoryChainTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly SharedMemoryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_chain_of_two_forwards_from_filling_images_and_every_image_equals_the_source()
    {
        var layout = Layout();
        int last = layout.Blobs.Count - 1;
        using var rootImage = Random(layout, seed: 41, loadedBlobs: 0);
        using var middleImage = ParameterImage.Allocate(layout);
        using var leafImage = ParameterImage.Allocate(layout);
        // The root is itself still receiving: it holds every blob but the last until the test lands it. If a server
        // waited for a whole image before serving it, the leaf's first blob could never become ready.
        var root = new ImageSink(rootImage);
        Land(root, 0, last);
        await using var rootServer = SharedMemoryBlobServer.Start(_directory.Path, "gpu0", Secret);
        await using var middleServer = SharedMemoryBlobServer.Start(_directory.Path, "gpu1", Secret);
        rootServer.Register(Model, root);
        var middle = new ImageSink(middleImage);
        middleServer.Register(Model, middle);
        var transport = new SharedMemoryBlobTransport(Secret);
        var middleLog = new BlobReadyLog();
        var leafLog = new BlobReadyLog();

        var toMiddle = transport.TransferAsync(rootServer.Address, Whole(layout), middle, middleLog);
        var toLeaf = transport.TransferAsync(middleServer.Address, Whole(layout), new ImageSink(leafImage), leafLog);
        await leafLog.WhenReady(0);
        bool middleWasStillLoading = !toMiddle.IsCompleted;
        Land(root, last, last + 1);
        await Task.WhenAll(toMiddle, toLeaf).WaitAsync(Bound);

        Assert.True(middleWasStillLoading);
        AssertIdentical(rootImage, middleImage);
        AssertIdentical(rootImage, leafImage);
        Assert.Equal(Enumerable.Range(0, layout.Blobs.Count), middleLog.Blobs);
        Assert.Equal(Enumerable.Range(0, layout.Blobs.Count), leafLog.Blobs);
    }

    [Fact]
    public async Task A_forwarding_server_whose_own_source_fails_reports_it_as_lost_upstream()
    {
        var layout = Layout();
        using var middleImage = ParameterImage.Allocate(layout);
        using var leafImage = ParameterImage.Allocate(layout);
        var middle = new ImageSink(middleImage);
        Land(middle, 0, 1);
        await using var middleServer = SharedMemoryBlobServer.Start(_directory.Path, "gpu1", Secret);
        middleServer.Register(Model, middle);
        var leafLog = new BlobReadyLog();

        var toLeaf = new SharedMemoryBlobTransport(Secret).TransferAsync(middleServer.Address, Whole(layout), new ImageSink(leafImage), leafLog);
        await leafLog.WhenReady(0);
        // The middle node's own transfer fails, as TransferTracker.Fail does on a lost upstream.
        middle.TransferFailed(0, layout.Blobs.Count, new SourceLostException("gpu0", Model, 1, layout.Blobs.Count, "test"));

        var error = await Assert.ThrowsAsync<SourceLostException>(() => toLeaf.WaitAsync(Bound));
        Assert.Equal(middleServer.Address, error.Peer);
        Assert.Equal(1, error.BlobsLanded);
        Assert.Contains("its own source was lost", error.Message);
    }
}
