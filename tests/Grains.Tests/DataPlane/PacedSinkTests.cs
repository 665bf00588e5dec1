using BlitzScale.Grains.DataPlane;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Grains.Tests.DataPlane;

/// <summary>A paced sink books each chunk on its link from when the transport asked for the chunk's memory.</summary>
public sealed class PacedSinkTests
{
    [Fact]
    public void A_chunk_is_on_the_link_from_when_its_memory_was_asked_for()
    {
        var time = new FakeTimeProvider();
        var link = new ReceiveLink(1, time);
        var inner = new Landings();
        var sink = new PacedSink(inner, link);

        sink.ChunkMemory(0, 0, 25_000);
        // The copy (or receive) took the chunk's whole link time: landing it waits for nothing, and the link is free now.
        time.Advance(TimeSpan.FromMilliseconds(25));
        Assert.True(sink.ChunkLanded(0, 0, 25_000));

        Assert.Equal([(0, 0L)], inner.Landed);
        Assert.Equal(TimeSpan.Zero, link.Reserve(0));
    }

    [Fact]
    public void A_chunk_copied_again_keeps_its_first_start()
    {
        var time = new FakeTimeProvider();
        var link = new ReceiveLink(1, time);
        var sink = new PacedSink(new Landings(), link);

        sink.ChunkMemory(0, 0, 25_000);
        time.Advance(TimeSpan.FromMilliseconds(20));
        // Its hash did not match: the transport asks for the same memory again and copies once more.
        sink.ChunkMemory(0, 0, 25_000);
        time.Advance(TimeSpan.FromMilliseconds(10));
        sink.ChunkLanded(0, 0, 25_000);

        Assert.Equal(TimeSpan.Zero, link.Reserve(0));
    }

    private sealed class Landings : IBlobSink
    {
        public List<(int Blob, long Offset)> Landed { get; } = [];

        public ImageLayout Layout => throw new NotSupportedException("not read by the paced sink");

        public Memory<byte> ChunkMemory(int blob, long offsetInBlob, int length) => new byte[length];

        public bool ChunkLanded(int blob, long offsetInBlob, int length)
        {
            Landed.Add((blob, offsetInBlob));
            return true;
        }

        public void TransferFailed(int firstBlob, int endBlob, Exception error) { }
    }
}
