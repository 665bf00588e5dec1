using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;

namespace BlitzScale.Native.Transport.SharedMemory;

/// <summary>
/// One peer of a <see cref="SharedMemoryBlobServer"/>: its own staging ring; the writer stages each chunk in a free
/// slot and announces it, the reader takes slot releases (freeing the slot, and queueing the chunk again when the
/// peer's hash check failed).
/// </summary>
internal sealed class SharedMemoryConnection(SharedMemoryBlobServer server, Socket socket) : ServedConnection(server.Core, socket)
{
    // Pinned once, on the pinned-object heap: the socket never has to pin them per call.
    private readonly byte[] _frame = GC.AllocateUninitializedArray<byte>(SharedMemoryWire.FrameBytes, pinned: true);
    private readonly byte[] _tag = GC.AllocateUninitializedArray<byte>(ChunkMac.TagBytes, pinned: true);
    private StagingRing? _ring;
    private SlotPool? _slots;
    private ChunkMac? _mac;

    protected override ushort HelloFlags => server.Options.AuthenticateChunks ? WireFormat.ChunkMacFlag : (ushort)0;

    /// <summary>Creates this connection's ring and tells the peer where it is; false when it could not be created (the peer was told).</summary>
    protected override async Task<bool> PrepareAsync(ChunkPlan plan, CancellationToken cancellationToken)
    {
        int slots = server.Options.SlotsFor(plan.ChunkBytes);
        // Random, so that no other process can guess the file before it exists and is ours (it is created 0600, exclusively).
        string fileName = $"{server.Name}.{Guid.NewGuid():N}.ring";
        StagingRing ring;
        try
        {
            ring = StagingRing.Create(Path.Combine(server.RingDirectory, fileName), slots, plan.ChunkBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await SendErrorAsync(ReplyKind.Error,
                $"{server.Address} cannot create a {(long)slots * plan.ChunkBytes}-byte staging ring in {server.RingDirectory}: {e.Message}", cancellationToken).ConfigureAwait(false);
            return false;
        }
        var name = Encoding.UTF8.GetBytes(fileName);
        var frame = new byte[SharedMemoryWire.FrameBytes + name.Length];
        SlotFrame.Ring(slots, plan.ChunkBytes, name.Length).Write(frame);
        name.CopyTo(frame, SharedMemoryWire.FrameBytes);
        try
        {
            await SocketIo.SendAllAsync(Socket, frame, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ring.Dispose();
            File.Delete(ring.Path);
            throw;
        }
        _ring = ring;
        _slots = new SlotPool(ring.Slots);
        if (server.Options.AuthenticateChunks) _mac = new ChunkMac(SessionKey!);
        return true;
    }

    /// <summary>
    /// Copies one chunk into a free slot (waiting until it has landed, when the source is still being filled, and until
    /// the peer frees a slot) and announces it; false when the source failed and the peer was told.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<bool> SendChunkAsync(IBlobSource source, ChunkPlan plan, ChunkRef chunk, CancellationToken cancellationToken)
    {
        if (await ReadChunkAsync(source, chunk, cancellationToken).ConfigureAwait(false) is not { } bytes) return false;

        int slot = await _slots!.RentAsync(chunk).ConfigureAwait(false);
        // The sender's hash and MAC are over the source, not the staged copy: a bad copy is caught on the other side.
        SlotFrame.Chunk(slot, chunk, ChunkHash.Of(bytes.Span)).Write(_frame);
        _mac?.Sign(_frame, bytes.Span, _tag);
        var staged = _ring!.Slot(slot, chunk.Length);
        bytes.Span.CopyTo(staged);
        // Test paths only: the staged copy is altered, never the image (the other peers are served from it).
        if (server.ForgeOnSend?.Invoke(chunk.Blob, chunk.OffsetInBlob) == true)
        {
            // As an attacker who can write the ring and the socket: the bytes altered and the frame's hash rewritten to match.
            staged[staged.Length / 2] ^= ChunkForgery.Flip;
            SlotFrame.Chunk(slot, chunk, ChunkHash.Of(staged)).Write(_frame);
        }
        else if (server.CorruptOnSend?.Invoke(chunk.Blob, chunk.OffsetInBlob) == true)
        {
            staged[staged.Length / 2] ^= ChunkForgery.Flip;
        }

        await SocketIo.SendAllAsync(Socket, _frame, cancellationToken).ConfigureAwait(false);
        if (_mac is not null) await SocketIo.SendAllAsync(Socket, _tag, cancellationToken).ConfigureAwait(false);
        return true;
    }

    protected override void Release()
    {
        _mac?.Dispose();
        if (_ring is null) return;
        _ring.Dispose();
        File.Delete(_ring.Path);
    }

    protected override async Task SendErrorAsync(ReplyKind kind, string message, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetBytes(message);
        var frame = new byte[SharedMemoryWire.FrameBytes + text.Length];
        SlotFrame.Message(kind == ReplyKind.SourceLost ? SlotFrameKind.SourceLost : SlotFrameKind.Error, text.Length).Write(frame);
        text.CopyTo(frame, SharedMemoryWire.FrameBytes);
        await SocketIo.SendAllAsync(Socket, frame, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes slot releases until the peer closes or breaks the protocol (cut and reported, as every server does); then
    /// closes the slot pool, which stops a writer waiting for a slot.
    /// </summary>
    protected override async Task ReadPeerAsync(ChunkPlan plan, ChannelWriter<ChunkRef> refetches, CancellationToken cancellationToken)
    {
        var frame = GC.AllocateUninitializedArray<byte>(SharedMemoryWire.ReleaseBytes, pinned: true);
        try
        {
            while (await SocketIo.ReceiveExactlyAsync(Socket, frame, cancellationToken).ConfigureAwait(false))
            {
                if (SlotRelease.Read(frame) is not { } release)
                {
                    Host.Cut(Socket, "it sent a frame that is not a slot release");
                    break;
                }
                if (!_slots!.Release(release.Slot, out var chunk))
                {
                    Host.Cut(Socket, $"it released slot {release.Slot}, which holds no chunk it was sent ({_slots.Slots}-slot ring)");
                    break;
                }
                if (release.Refetch) refetches.TryWrite(chunk);
            }
        }
        finally
        {
            _slots!.Close(new OperationCanceledException("the peer closed the connection"));
        }
    }
}
