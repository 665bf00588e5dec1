using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace BlitzScale.Native.Transport.Rdma;

/// <summary>
/// The client's reading of the RDMA side channel: chunk headers (each followed by its MAC tag when the server
/// announced chunk MACs) become <see cref="ChunkAnnouncement"/>s numbered in the order they came; errors and the end of
/// the stream end it.
/// </summary>
internal static class SideChannel
{
    /// <summary>
    /// Reads chunk headers until the stream ends or breaks; completes <paramref name="headers"/> with a
    /// <see cref="SideChannelEnded"/> saying how (never with success: the receiver stops reading once it has every chunk).
    /// </summary>
    /// <param name="socket">The side channel.</param>
    /// <param name="plan">The request's chunks.</param>
    /// <param name="tagged">Whether each chunk header is followed by its MAC tag.</param>
    /// <param name="headers">Where each header goes.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public static async Task ReadHeadersAsync(Socket socket, ChunkPlan plan, bool tagged, ChannelWriter<ChunkAnnouncement> headers, CancellationToken cancellationToken)
    {
        var header = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);
        var tag = GC.AllocateUninitializedArray<byte>(ChunkMac.TagBytes, pinned: true);
        ulong number = 0;
        SideChannelEnded ended;
        try
        {
            while (true)
            {
                if (!await SocketIo.ReceiveExactlyAsync(socket, header, cancellationToken).ConfigureAwait(false))
                {
                    ended = new SideChannelEnded(null, "it closed the side channel mid-transfer");
                    break;
                }
                if (ReplyHeader.Read(header) is not { } reply)
                {
                    ended = new SideChannelEnded(ReplyKind.Error, "it sent a frame that is not a blob-protocol reply");
                    break;
                }
                if (reply.Kind != ReplyKind.Chunk)
                {
                    ended = new SideChannelEnded(reply.Kind, await SocketIo.ReceiveMessageAsync(socket, reply.Length, cancellationToken).ConfigureAwait(false));
                    break;
                }
                if (!plan.TryLocate(reply.Blob, reply.OffsetInBlob, reply.Length, out var chunk))
                {
                    ended = new SideChannelEnded(ReplyKind.Error,
                        $"it sent a header for blob {reply.Blob} bytes {reply.OffsetInBlob}..{reply.OffsetInBlob + reply.Length}, which is not a chunk of the request");
                    break;
                }
                if (tagged && !await SocketIo.ReceiveExactlyAsync(socket, tag, cancellationToken).ConfigureAwait(false))
                {
                    ended = new SideChannelEnded(null, "it closed the side channel before a chunk's MAC");
                    break;
                }
                headers.TryWrite(new ChunkAnnouncement(plan.IndexOf(chunk), reply.Hash, number++, tagged ? MemoryMarshal.Read<UInt128>(tag) : default));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            ended = new SideChannelEnded(null, e is SocketException s ? $"the side channel failed ({s.SocketErrorCode})" : "the transfer stopped");
        }
        headers.TryComplete(ended);
    }

    /// <summary>What the receiver throws once the side channel has ended and every delivered hash has been used.</summary>
    public static Exception Ended(Task completion, TransferTracker tracker) =>
        Failure(completion.Exception?.InnerException as SideChannelEnded ?? new SideChannelEnded(null, "its side channel ended"), tracker);

    /// <summary>The exception for an error reply that came instead of the server's connection info.</summary>
    public static async Task<Exception> ReadErrorAsync(Socket socket, ReplyHeader reply, TransferTracker tracker, CancellationToken cancellationToken) =>
        Failure(new SideChannelEnded(reply.Kind, await SocketIo.ReceiveMessageAsync(socket, reply.Length, cancellationToken).ConfigureAwait(false)), tracker);

    private static Exception Failure(SideChannelEnded ended, TransferTracker tracker) =>
        ended.Kind is { } kind ? tracker.ErrorReply(ended.Message, kind == ReplyKind.SourceLost) : tracker.Lost(ended.Message);

}

/// <summary>How the side channel ended: an error or source-lost reply (<see cref="Kind"/>), or the stream itself (null).</summary>
internal sealed class SideChannelEnded(ReplyKind? kind, string message) : Exception(message)
{
    public ReplyKind? Kind { get; } = kind;
}
