using System.Net;
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

    public override IBlobTransport Client(byte[]? secret = null) => new TcpBlobTransport(secret ?? Secret);

    public override ServedPeer Serve(IBlobSource source)
    {
        var server = BlobServer.Start(Loopback, Secret);
        server.Register(Model, source);
        server.CorruptOnSend = (blob, offset) => CorruptChunk?.Invoke(blob, offset) == true;
        return new ServerPeer(server.Address, server.Core, server.RetireAsync, server.DisposeAsync);
    }

    /// <summary>A port nothing listens on.</summary>
    public override string AbsentPeer => _absent.Address;

    public override void Dispose() => _absent.Dispose();
}
