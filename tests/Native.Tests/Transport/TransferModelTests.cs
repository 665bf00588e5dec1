using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>Requests, chunk plans, wire headers and the defaults of the transport options.</summary>
public sealed class TransferModelTests
{
    [Fact]
    public void A_plan_cuts_each_blob_on_its_own_with_a_short_last_chunk()
    {
        var layout = Layout();
        const int chunk = TransferRequest.MinChunkBytes + 1000;
        var plan = ChunkPlan.For(new TransferRequest(Model, 1, 3, chunk), layout);
        long blob1 = layout.Blobs[1].ByteLength;
        int chunks1 = (int)((blob1 + chunk - 1) / chunk);

        Assert.Equal(chunks1, plan.EndOf(1));
        Assert.Equal(layout.Blobs[1].ByteLength + layout.Blobs[2].ByteLength, plan.Bytes);
        Assert.Equal(new ChunkRef(1, chunks1 - 1, (long)(chunks1 - 1) * chunk, (int)(blob1 - (long)(chunks1 - 1) * chunk)), plan.Get(1, chunks1 - 1));
        Assert.Equal(chunks1, plan.IndexOf(plan.Get(2, 0)));
        Assert.True(plan.TryLocate(2, chunk, chunk, out var located));
        Assert.Equal(1, located.Index);
        Assert.False(plan.TryLocate(2, chunk + 1, chunk, out _));
        Assert.False(plan.TryLocate(0, 0, chunk, out _));
        Assert.False(plan.TryLocate(1, 0, chunk - 1, out _));
    }

    [Fact]
    public void Requests_refuse_what_cannot_be_moved()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TransferRequest(Model, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TransferRequest(Model, 0, 1, TransferRequest.MinChunkBytes - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TransferRequest(Model, 0, 1, maxAttempts: 0));
        Assert.Throws<ArgumentException>(() => new TransferRequest(new string('m', TransferRequest.MaxModelIdBytes + 1), 0, 1));
        Assert.Equal(4 << 20, new TransferRequest(Model, 0, 1).ChunkBytes);
        Assert.Equal(3, new TransferRequest(Model, 0, 1).MaxAttempts);
    }

    [Fact]
    public void Headers_round_trip_and_a_wrong_magic_is_not_a_header()
    {
        var buffer = new byte[WireFormat.HeaderBytes];
        var reply = new ReplyHeader(ReplyKind.Chunk, 7, 123_456, 9L << 32, 0xDEAD_BEEF_0123_4567);
        reply.Write(buffer);
        Assert.Equal(reply, ReplyHeader.Read(buffer));
        Assert.Null(RequestHeader.Read(buffer));

        var request = RequestHeader.Range(1, 5, 3L << 33, TransferRequest.DefaultChunkBytes, 4);
        request.Write(buffer);
        Assert.Equal(request, RequestHeader.Read(buffer));
        Assert.Equal("BLZQ"u8.ToArray(), buffer[..4]);
    }

    [Fact]
    public void Option_defaults_are_pinned_and_bad_values_are_named()
    {
        Assert.Equal(4 << 20, new TcpTransportOptions().SocketBufferBytes);
        Assert.Equal(TimeSpan.FromSeconds(10), new TcpTransportOptions().ConnectTimeout);
        Assert.Equal(4 << 20, new BlobServerOptions().SocketBufferBytes);
        Assert.Equal(TimeSpan.FromSeconds(10), new BlobServerOptions().AuthenticationTimeout);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new BlobServerOptions { SocketBufferBytes = 1 }.Validate());
        Assert.Equal(nameof(BlobServerOptions.SocketBufferBytes), error.ParamName);
        Assert.Throws<ArgumentException>(() => new TcpBlobTransport(new byte[8]));
    }
}
