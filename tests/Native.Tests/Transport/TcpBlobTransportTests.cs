using System.Net;
using System.Net.Sockets;
using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>The TCP transport on loopback, through every scenario of <see cref="ServerTransportConformance{THarness}"/>.</summary>
public sealed class TcpBlobTransportTests : ServerTransportConformance<TcpHarness>;

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
