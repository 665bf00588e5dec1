using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// A whole-image transfer under way from a peer whose source is itself still receiving: it holds only its first
/// blobs, so the transfer stays mid-way until the test lands more, fails that source, or stops the peer.
/// </summary>
/// <param name="Source">The peer's image, still being filled.</param>
/// <param name="ConnectionsClosed">Completes the next time the peer has no connection left (taken before the transfer started).</param>
internal sealed record FillingTransfer(
    ImageLayout Layout, ParameterImage SourceImage, ImageSink Source, ParameterImage Target, ServedPeer Peer, BlobReadyLog Log, Task ConnectionsClosed)
    : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public Task<TransferResult> Transfer { get; private set; } = null!;

    /// <summary>Starts fetching the whole image from a peer whose source holds blobs <c>[0, heldBlobs)</c> of seeded random bytes.</summary>
    public static FillingTransfer Start(TransportHarness harness, int seed, int heldBlobs, BlobReadyLog? log = null, CancellationToken cancellationToken = default)
    {
        var layout = TransportImages.Layout();
        var image = Random(layout, seed, loadedBlobs: 0);
        var source = new ImageSink(image);
        Land(source, 0, heldBlobs);
        var peer = harness.Serve(source);
        var filling = new FillingTransfer(layout, image, source, ParameterImage.Allocate(layout), peer, log ?? new BlobReadyLog(), peer.WhenAllConnectionsClosed());
        filling.Transfer = harness.Client().TransferAsync(peer.Address, Whole(layout), new ImageSink(filling.Target), filling.Log, cancellationToken);
        return filling;
    }

    public async ValueTask DisposeAsync()
    {
        await Peer.DisposeAsync();
        // The images may be freed only after nothing reads or writes them (a transfer still running past the bound
        // has already failed the test: its images are left to the process).
        var ended = Transfer.ContinueWith(_ => { }, TaskScheduler.Default);
        if (await Task.WhenAny(ended, Task.Delay(Bound)) != ended) return;
        SourceImage.Dispose();
        Target.Dispose();
    }
}
