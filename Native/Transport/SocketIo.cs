using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace BlitzScale.Native.Transport;

/// <summary>
/// Whole-buffer socket reads and writes. Their state machines come from a pool, so calling them once per chunk
/// allocates nothing in steady state.
/// </summary>
internal static class SocketIo
{
    /// <summary>Large buffers keep a 100 Gbit/s × 100 µs path (and a 4 MiB chunk) in flight.</summary>
    public static void Configure(Socket socket, int bufferBytes)
    {
        socket.NoDelay = true;
        socket.SendBufferSize = bufferBytes;
        socket.ReceiveBufferSize = bufferBytes;
    }

    /// <summary>A TCP socket bound to <paramref name="listenOn"/> and listening.</summary>
    /// <param name="listenOn">Address and port (port 0 picks a free port).</param>
    /// <param name="receiveBufferBytes">
    /// Accepted sockets inherit the receive buffer; setting it before listen lets TCP advertise a large window.
    /// </param>
    public static Socket ListenTcp(IPEndPoint listenOn, int? receiveBufferBytes = null)
    {
        var listener = new Socket(listenOn.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (receiveBufferBytes is { } bytes) listener.ReceiveBufferSize = bytes;
            listener.Bind(listenOn);
            listener.Listen(128);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Ends a finished exchange: every chunk has landed, so a peer that closed or reset meanwhile changes nothing.</summary>
    public static void ShutdownQuietly(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>Fills <paramref name="buffer"/>; false when the peer closed the stream first.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int received = 0;
        while (received < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer[received..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0) return false;
            received += n;
        }
        return true;
    }

    /// <summary>Reads a chunk's MAC tag, which follows its frame on every transport that authenticates chunks.</summary>
    /// <exception cref="EndOfStreamException">The peer closed before the whole tag (a lost source).</exception>
    public static async ValueTask ReceiveTagAsync(Socket socket, Memory<byte> tag, CancellationToken cancellationToken)
    {
        if (!await ReceiveExactlyAsync(socket, tag[..ChunkMac.TagBytes], cancellationToken).ConfigureAwait(false))
            throw new EndOfStreamException("the connection closed before a chunk's MAC");
    }

    /// <summary>The text of an error reply of <paramref name="length"/> bytes; a placeholder when there is none to read.</summary>
    public static async Task<string> ReceiveMessageAsync(Socket socket, int length, CancellationToken cancellationToken)
    {
        if (length is <= 0 or > WireFormat.MaxErrorBytes) return "(no message)";
        var bytes = new byte[length];
        return await ReceiveExactlyAsync(socket, bytes, cancellationToken).ConfigureAwait(false)
            ? Encoding.UTF8.GetString(bytes)
            : "(no message)";
    }

    /// <summary>Sends all of <paramref name="buffer"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        int sent = 0;
        while (sent < buffer.Length)
            sent += await socket.SendAsync(buffer[sent..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
    }
}
