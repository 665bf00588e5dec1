using System.Net;
using System.Net.Sockets;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>A loopback port bound but not listening: connecting to it is refused, and the port stays taken until disposed.</summary>
internal sealed class RefusingPort : IDisposable
{
    private readonly Socket _socket = new(SocketType.Stream, ProtocolType.Tcp);

    public RefusingPort() => _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

    public string Address => _socket.LocalEndPoint!.ToString()!;

    public void Dispose() => _socket.Dispose();
}
