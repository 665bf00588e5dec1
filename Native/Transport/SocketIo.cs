using System.Net.Sockets;
using System.Runtime.CompilerServices;

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

    /// <summary>Sends all of <paramref name="buffer"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        int sent = 0;
        while (sent < buffer.Length)
            sent += await socket.SendAsync(buffer[sent..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
    }
}
