using BlitzScale.Native.Models.Image;
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
    public void A_plan_from_a_chunk_inside_its_first_blob_holds_only_the_chunks_from_there_on()
    {
        var layout = Layout();
        const int chunk = SmallChunk;
        int blob = Enumerable.Range(0, layout.Blobs.Count).First(b => layout.Blobs[b].ByteLength > 3L * chunk);
        int chunks = ChunkPlan.ChunksIn(layout.Blobs[blob].ByteLength, chunk);
        var whole = ChunkPlan.For(new TransferRequest(Model, blob, blob + 2, chunk), layout);
        var rest = ChunkPlan.For(new TransferRequest(Model, blob, blob + 2, chunk, firstChunk: 2), layout);

        Assert.Equal((0, 2, chunks), (whole.StartOf(blob), rest.StartOf(blob), rest.EndOf(blob)));
        Assert.Equal(0, rest.StartOf(blob + 1));
        Assert.Equal(whole.Count - 2, rest.Count);
        Assert.Equal(whole.Bytes - 2L * chunk, rest.Bytes);
        Assert.Equal(0, rest.IndexOf(rest.Get(blob, 2)));
        Assert.Equal(chunks - 2, rest.IndexOf(rest.Get(blob + 1, 0)));
        Assert.False(rest.TryLocate(blob, chunk, chunk, out _));
        Assert.True(rest.TryLocate(blob, 2L * chunk, chunk, out var located));
        Assert.Equal(2, located.Index);

        var beyond = Assert.Throws<ArgumentOutOfRangeException>(() => ChunkPlan.For(new TransferRequest(Model, blob, blob + 1, chunk, firstChunk: chunks), layout));
        Assert.Contains($"chunk {chunks} is not a chunk of blob {blob} ({chunks} chunks of {chunk} bytes)", beyond.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TransferRequest(Model, blob, blob + 1, chunk, firstChunk: -1));
    }

    [Fact]
    public void A_range_from_a_chunk_travels_as_RangeFrom_and_a_server_refuses_a_first_chunk_outside_the_blob()
    {
        var layout = Layout();
        using var image = ParameterImage.Allocate(layout);
        int chunks = ChunkPlan.ChunksIn(layout.Blobs[1].ByteLength, SmallChunk);
        var tracker = new TransferTracker("peer", new TransferRequest(Model, 1, 3, SmallChunk, firstChunk: 1), new ImageSink(image), null);

        var frame = tracker.RangeFrame();
        var header = RequestHeader.Read(frame)!.Value;
        Assert.Equal((RequestKind.RangeFrom, 1, 3, 4), (header.Kind, header.Blob, header.A, header.RangeTrailerBytes));
        Assert.Equal(1, System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(frame.AsSpan(WireFormat.HeaderBytes + header.ModelIdBytes)));
        var plain = RequestHeader.Read(new TransferTracker("peer", new TransferRequest(Model, 1, 3, SmallChunk), new ImageSink(image), null).RangeFrame())!.Value;
        Assert.Equal((RequestKind.Range, 0), (plain.Kind, plain.RangeTrailerBytes));

        Assert.Null(RangeRequest.Refusal("s:1", Model, layout, header, chunks - 1));
        Assert.Equal($"chunk {chunks} is not a chunk of blob 1 of model \"{Model}\" ({chunks} chunks of {SmallChunk} bytes)",
            RangeRequest.Refusal("s:1", Model, layout, header, chunks));
        Assert.NotNull(RangeRequest.Refusal("s:1", Model, layout, header, -1));
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
