using System.Collections.Concurrent;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;

namespace BlitzScale.Grains.DataPlane;

/// <summary>
/// Receives into <paramref name="inner"/> through <paramref name="link"/>: each chunk is reported landed only once the link
/// delivered it, counted from when the transport asked for the chunk's memory (its copy or receive began).
/// </summary>
internal sealed class PacedSink(IBlobSink inner, ReceiveLink link) : IBlobSink
{
    private readonly ConcurrentDictionary<(int Blob, long Offset), TimeSpan> _started = new();

    public ImageLayout Layout => inner.Layout;

    public Memory<byte> ChunkMemory(int blob, long offsetInBlob, int length)
    {
        // The first ask counts: a chunk copied again (its hash did not match) was on the link from its first try.
        _started.TryAdd((blob, offsetInBlob), link.Now);
        return inner.ChunkMemory(blob, offsetInBlob, length);
    }

    public bool ChunkLanded(int blob, long offsetInBlob, int length)
    {
        link.Deliver(length, _started.TryRemove((blob, offsetInBlob), out var started) ? started : null);
        return inner.ChunkLanded(blob, offsetInBlob, length);
    }

    public void TransferFailed(int firstBlob, int endBlob, Exception error) => inner.TransferFailed(firstBlob, endBlob, error);
}
