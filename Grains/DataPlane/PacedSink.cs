using System.Diagnostics;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;

namespace BlitzScale.Grains.DataPlane;

/// <summary>
/// Receives into <paramref name="inner"/> no faster than <paramref name="megabytesPerSecond"/> (10^6 bytes): each chunk is
/// reported landed only once the emulated link would have delivered it, holding the receive loop until then. A single-process
/// grid's stand-in for a shaped link (the testbed shapes real links with tc instead).
/// </summary>
internal sealed class PacedSink(IBlobSink inner, double megabytesPerSecond) : IBlobSink
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _bytes;

    public ImageLayout Layout => inner.Layout;

    public Memory<byte> ChunkMemory(int blob, long offsetInBlob, int length) => inner.ChunkMemory(blob, offsetInBlob, length);

    public bool ChunkLanded(int blob, long offsetInBlob, int length)
    {
        long bytes = Interlocked.Add(ref _bytes, length);
        var due = TimeSpan.FromSeconds(bytes / (megabytesPerSecond * 1e6));
        var wait = due - _clock.Elapsed;
        // The receive loop is what the link paces: blocking it is the emulation.
        if (wait > TimeSpan.Zero) Thread.Sleep(wait);
        return inner.ChunkLanded(blob, offsetInBlob, length);
    }

    public void TransferFailed(int firstBlob, int endBlob, Exception error) => inner.TransferFailed(firstBlob, endBlob, error);
}
