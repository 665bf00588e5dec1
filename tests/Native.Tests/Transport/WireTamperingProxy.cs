using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BlitzScale.Native.Transport;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// A man in the middle on loopback between a <see cref="TcpBlobTransport"/> and a <see cref="BlobServer"/>: it passes
/// the handshake through untouched, then flips one byte of every chunk's payload and rewrites the header's XxHash3 to
/// match, as an attacker who can write into the connection (but does not hold the secret) would.
/// </summary>
internal sealed class WireTamperingProxy : IAsyncDisposable
{
    private readonly Socket _listener = new(SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    public WireTamperingProxy(IPEndPoint server)
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(4);
        _running = RunAsync(server);
    }

    public string Address => _listener.LocalEndPoint!.ToString()!;

    /// <summary>Chunks altered so far.</summary>
    public int Tampered { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _running;
        _stop.Dispose();
    }

    private async Task RunAsync(IPEndPoint server)
    {
        try
        {
            while (true)
            {
                using var client = await _listener.AcceptAsync(_stop.Token);
                using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await upstream.ConnectAsync(server, _stop.Token);
                using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var up = CopyAsync(client, upstream, done.Token);
                await TamperAsync(upstream, client, done.Token);
                await done.CancelAsync();
                await up;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private static async Task CopyAsync(Socket from, Socket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 << 10];
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task TamperAsync(Socket server, Socket client, CancellationToken cancellationToken)
    {
        try
        {
            // The hello, then (once the client has answered) the verdict and the server's proof.
            foreach (int bytes in new[] { WireFormat.HelloBytes, WireFormat.AcceptedBytes })
            {
                var handshake = new byte[bytes];
                if (!await SocketIo.ReceiveExactlyAsync(server, handshake, cancellationToken)) return;
                await SocketIo.SendAllAsync(client, handshake, cancellationToken);
            }
            var header = new byte[WireFormat.HeaderBytes];
            while (await SocketIo.ReceiveExactlyAsync(server, header, cancellationToken))
            {
                var reply = ReplyHeader.Read(header)!.Value;
                bool chunk = reply.Kind == ReplyKind.Chunk;
                var rest = new byte[reply.Length + (chunk ? WireFormat.ChunkMacBytes : 0)];
                if (!await SocketIo.ReceiveExactlyAsync(server, rest, cancellationToken)) return;
                if (chunk)
                {
                    rest[reply.Length / 2] ^= 0x01;
                    BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(24), ChunkHash.Of(rest.AsSpan(0, reply.Length)));
                    Tampered++;
                }
                await SocketIo.SendAllAsync(client, header, cancellationToken);
                await SocketIo.SendAllAsync(client, rest, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }
}
