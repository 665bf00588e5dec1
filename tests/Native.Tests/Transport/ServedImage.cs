using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// A peer serving a whole image of seeded random bytes, and an empty image to fetch it into (of the same layout unless
/// told otherwise). Disposing it stops the peer, then frees both images.
/// </summary>
internal sealed record ServedImage(ImageLayout Layout, ParameterImage Source, ParameterImage Target, ServedPeer Peer) : IAsyncDisposable
{
    public static ServedImage Start(TransportHarness harness, int seed, ImageLayout? targetLayout = null)
    {
        var layout = TransportImages.Layout();
        var source = Random(layout, seed);
        return new ServedImage(layout, source, ParameterImage.Allocate(targetLayout ?? layout), harness.Serve(new ImageSource(source)));
    }

    public async ValueTask DisposeAsync()
    {
        await Peer.DisposeAsync();
        Source.Dispose();
        Target.Dispose();
    }
}
