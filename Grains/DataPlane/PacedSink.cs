using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;

namespace BlitzScale.Grains.DataPlane;

/// <summary>Receives into <paramref name="inner"/> through <paramref name="link"/>: each chunk is reported landed only once the link delivered it.</summary>
internal sealed class PacedSink(IBlobSink inner, ReceiveLink link) : IBlobSink
{
    public ImageLayout Layout => inner.Layout;

    public Memory<byte> ChunkMemory(int blob, long offsetInBlob, int length) => inner.ChunkMemory(blob, offsetInBlob, length);

    public bool ChunkLanded(int blob, long offsetInBlob, int length)
    {
        link.Deliver(length);
        return inner.ChunkLanded(blob, offsetInBlob, length);
    }

    public void TransferFailed(int firstBlob, int endBlob, Exception error) => inner.TransferFailed(firstBlob, endBlob, error);
}
