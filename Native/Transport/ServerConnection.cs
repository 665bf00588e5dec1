using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace BlitzScale.Native.Transport;

/// <summary>
/// One peer of a <see cref="BlobServer"/>: the range is streamed over the socket straight from the image memory, each
/// chunk behind its hash header and, unless the server was told not to, followed by its MAC under the session key.
/// </summary>
internal sealed class ServerConnection(BlobServer server, Socket socket) : ServedConnection(server.Core, socket)
{
    // Pinned once, on the pinned-object heap: the socket never has to pin it per call.
    private readonly byte[] _reply = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);
    private readonly byte[] _tag = GC.AllocateUninitializedArray<byte>(ChunkMac.TagBytes, pinned: true);
    private ChunkMac? _mac;

    protected override ushort HelloFlags => server.Options.AuthenticateChunks ? WireFormat.ChunkMacFlag : (ushort)0;

    protected override void Configure() => SocketIo.Configure(Socket, server.Options.SocketBufferBytes);

    protected override Task<bool> PrepareAsync(ChunkPlan plan, CancellationToken cancellationToken)
    {
        if (server.Options.AuthenticateChunks) _mac = new ChunkMac(SessionKey!);
        return Task.FromResult(true);
    }

    protected override void Release() => _mac?.Dispose();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<bool> SendChunkAsync(IBlobSource source, ChunkPlan plan, ChunkRef chunk, CancellationToken cancellationToken)
    {
        if (await ReadChunkAsync(source, chunk, cancellationToken).ConfigureAwait(false) is not { } bytes) return false;

        new ReplyHeader(ReplyKind.Chunk, chunk.Blob, chunk.Length, chunk.OffsetInBlob, ChunkHash.Of(bytes.Span)).Write(_reply);
        if (_mac is { } mac)
        {
            // Over the bytes as read from the image, before the test paths below may flip one: the flip fails it too.
            mac.Sign(_reply, bytes.Span, _tag);
        }
        // Test paths only: never touch the image itself, it is what the other peers are served from.
        if (server.ForgeOnSend?.Invoke(chunk.Blob, chunk.OffsetInBlob) == true)
        {
            // As an attacker who writes into the connection: the bytes altered and the header's hash rewritten to match.
            bytes = ChunkForgery.Altered(bytes.Span);
            new ReplyHeader(ReplyKind.Chunk, chunk.Blob, chunk.Length, chunk.OffsetInBlob, ChunkHash.Of(bytes.Span)).Write(_reply);
        }
        else if (server.CorruptOnSend?.Invoke(chunk.Blob, chunk.OffsetInBlob) == true)
        {
            bytes = ChunkForgery.Altered(bytes.Span);
        }
        await SocketIo.SendAllAsync(Socket, _reply, cancellationToken).ConfigureAwait(false);
        await SocketIo.SendAllAsync(Socket, bytes, cancellationToken).ConfigureAwait(false);
        if (_mac is not null) await SocketIo.SendAllAsync(Socket, _tag, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
