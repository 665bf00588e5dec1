using System.Net;
using System.Net.Sockets;
using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>The TCP transport on loopback, through every scenario of <see cref="ServerTransportConformance{THarness}"/>.</summary>
public sealed class TcpBlobTransportTests : ServerTransportConformance<TcpHarness>
{
    [Fact]
    public async Task A_range_from_a_chunk_past_the_end_of_its_first_blob_is_refused_naming_it()
    {
        await using var served = ServedImage.Start(Harness, seed: 41);
        int chunks = ChunkPlan.ChunksIn(served.Layout.Blobs[1].ByteLength, SmallChunk);
        var modelId = System.Text.Encoding.UTF8.GetBytes(Model);
        var frame = new byte[WireFormat.HeaderBytes + modelId.Length + RequestHeader.RangeFromBytes];
        RequestHeader.Range(1, 3, served.Layout.TotalBytes, SmallChunk, modelId.Length, fromChunk: true).Write(frame);
        modelId.CopyTo(frame, WireFormat.HeaderBytes);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(WireFormat.HeaderBytes + modelId.Length), chunks);

        using var peer = await Harness.ConnectAsync(served.Peer.Address).WaitAsync(Bound);
        await ClusterAuth.AuthenticateAsync(peer, Secret, served.Peer.Address, Model, CancellationToken.None).AsTask().WaitAsync(Bound);
        await SocketIo.SendAllAsync(peer, frame, CancellationToken.None).AsTask().WaitAsync(Bound);
        var header = new byte[WireFormat.HeaderBytes];
        Assert.True(await SocketIo.ReceiveExactlyAsync(peer, header, CancellationToken.None).AsTask().WaitAsync(Bound));
        var reply = ReplyHeader.Read(header)!.Value;
        string message = await SocketIo.ReceiveMessageAsync(peer, reply.Length, CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(ReplyKind.Error, reply.Kind);
        Assert.Equal($"chunk {chunks} is not a chunk of blob 1 of model \"{Model}\" ({chunks} chunks of {SmallChunk} bytes)", message);
    }
}

/// <summary><see cref="BlobServer"/>s on loopback and <see cref="TcpBlobTransport"/> clients.</summary>
public sealed class TcpHarness : TransportHarness
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);
    private readonly RefusingPort _absent = new();

    public override IBlobTransport Client(byte[]? secret = null) =>
        new TcpBlobTransport(secret ?? Secret, new TcpTransportOptions
        {
            RequireChunkAuthentication = ClientsRequireChunkMacs,
            IdleTimeout = ClientIdleTimeout ?? TcpTransportOptions.DefaultIdleTimeout,
        });

    public override ServedPeer Serve(IBlobSource source)
    {
        var server = BlobServer.Start(Loopback, Secret, new BlobServerOptions { AuthenticateChunks = ServersSendChunkMacs });
        server.Register(Model, source);
        server.CorruptOnSend = (blob, offset) => CorruptChunk?.Invoke(blob, offset) == true;
        server.ForgeOnSend = (blob, offset) => ForgeChunk?.Invoke(blob, offset) == true;
        return new ServerPeer(server, server.RetireAsync);
    }

    public override async Task<Socket> ConnectAsync(string peer)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(PeerAddress.Parse(peer));
        return socket;
    }

    /// <summary>A port nothing listens on.</summary>
    public override string AbsentPeer => _absent.Address;

    public override void Dispose() => _absent.Dispose();
}
