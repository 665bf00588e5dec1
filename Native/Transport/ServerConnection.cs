using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace BlitzScale.Native.Transport;

/// <summary>
/// One peer of a <see cref="BlobServer"/>: the range is streamed over the socket straight from the image memory, each
/// chunk behind its hash header.
/// </summary>
internal sealed class ServerConnection(BlobServer server, Socket socket) : ServedConnection(server.Core, socket)
{
    // Pinned once, on the pinned-object heap: the socket never has to pin it per call.
    private readonly byte[] _reply = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);

    protected override void Configure() => SocketIo.Configure(Socket, server.Options.SocketBufferBytes);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<bool> SendChunkAsync(IBlobSource source, ChunkPlan plan, ChunkRef chunk, CancellationToken cancellationToken)
    {
        if (await ReadChunkAsync(source, chunk, cancellationToken).ConfigureAwait(false) is not { } bytes) return false;

        new ReplyHeader(ReplyKind.Chunk, chunk.Blob, chunk.Length, chunk.OffsetInBlob, ChunkHash.Of(bytes.Span)).Write(_reply);
        await SocketIo.SendAllAsync(Socket, _reply, cancellationToken).ConfigureAwait(false);
        if (server.CorruptOnSend?.Invoke(chunk.Blob, chunk.OffsetInBlob) == true)
        {
            // Test path only: never touch the image itself, it is what the other peers are served from.
            var corrupted = bytes.ToArray();
            corrupted[corrupted.Length / 2] ^= 0x5A;
            bytes = corrupted;
        }
        await SocketIo.SendAllAsync(Socket, bytes, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
