using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace BlitzScale.Native.Transport.Rdma;

/// <summary>
/// One peer of an <see cref="RdmaBlobServer"/>: after the range request, the queue-pair exchange over the side channel;
/// then, per chunk, the hash header on the side channel and an RDMA write with immediate from the registered source
/// image into the peer's registered target.
/// </summary>
internal sealed class RdmaServerConnection(RdmaBlobServer server, Socket socket) : ServedConnection(server.Core, socket)
{
    // Pinned once, on the pinned-object heap: the socket never has to pin it per call.
    private readonly byte[] _header = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);
    private readonly byte[] _tag = GC.AllocateUninitializedArray<byte>(ChunkMac.TagBytes, pinned: true);
    private readonly RdmaCompletion[] _completions = new RdmaCompletion[16];
    private readonly WriteWindow _window = new(server.Options.SendDepth);
    private IRdmaQueuePair? _queuePair;
    private IRdmaRegion? _source;
    private RdmaConnectionInfo _target;
    private PollBackoff _backoff;
    private ChunkMac? _mac;

    protected override ushort HelloFlags => server.Options.AuthenticateChunks ? WireFormat.ChunkMacFlag : (ushort)0;

    protected override void Configure() => Socket.NoDelay = true;

    protected override Task<bool> PrepareAsync(ChunkPlan plan, CancellationToken cancellationToken)
    {
        if (server.Options.AuthenticateChunks) _mac = new ChunkMac(SessionKey!);
        return Task.FromResult(true);
    }

    /// <summary>
    /// Reads the peer's connection info (also after a refusal, so the peer reads the error rather than a reset),
    /// connects a queue pair to it and sends ours back; false when the connection must close.
    /// </summary>
    protected override async Task<bool> AgreeAsync(string? problem, IBlobSource? source, ChunkPlan? plan, CancellationToken cancellationToken)
    {
        var info = new byte[RdmaConnectionInfo.Bytes];
        if (!await SocketIo.ReceiveExactlyAsync(Socket, info, cancellationToken).ConfigureAwait(false)) return false;
        problem ??= Accept(info, source!, plan!);
        if (problem is null)
        {
            RdmaConnectionInfo.Of(_queuePair!, server.Nic.Address).Write(info);
            await SocketIo.SendAllAsync(Socket, info, cancellationToken).ConfigureAwait(false);
            var ready = new byte[RdmaWire.ReadyBytes];
            if (!await SocketIo.ReceiveExactlyAsync(Socket, ready, cancellationToken).ConfigureAwait(false)) return false;
            if (BinaryPrimitives.ReadUInt32LittleEndian(ready) == RdmaWire.ReadyMagic) return true;
            Host.Cut(Socket, "it did not confirm its queue pair was ready");
            problem = "the peer did not confirm its queue pair was ready";
        }
        await SendErrorAsync(ReplyKind.Error, problem, cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>The queue pair first: once it is destroyed the NIC reads the source image no more, and the region may go.</summary>
    protected override void Release()
    {
        _queuePair?.Dispose();
        _source?.Dispose();
        _mac?.Dispose();
    }

    /// <summary>
    /// Checks the peer's target region against the request and connects a queue pair to it; the problem, or null. A
    /// peer whose connection info is malformed or does not match its request broke the protocol: it is cut and reported.
    /// </summary>
    private string? Accept(ReadOnlySpan<byte> info, IBlobSource source, ChunkPlan plan)
    {
        if (RdmaConnectionInfo.Read(info, out string? problem) is not { } target)
        {
            Host.Cut(Socket, $"its RDMA connection info is malformed: {problem}");
            return $"{server.Address} cannot use the peer's RDMA connection info: {problem}";
        }
        var blobs = source.Layout.Blobs;
        long start = blobs[plan.FirstBlob].Offset;
        long length = blobs[plan.EndBlob - 1].Offset + blobs[plan.EndBlob - 1].ByteLength - start;
        if (target.RegionImageOffset != start || (long)target.RegionLength != length)
        {
            string mismatch = $"registered {target.RegionLength} bytes from image offset {target.RegionImageOffset}; " +
                $"blobs {plan.FirstBlob}..{plan.EndBlob} span {length} bytes from offset {start}";
            Host.Cut(Socket, $"it {mismatch}");
            return $"the peer {mismatch}";
        }
        try
        {
            _queuePair = server.Nic.CreateQueuePair(server.Options.SendDepth, receiveDepth: 1);
            _queuePair.Connect(target);
        }
        catch (RdmaException e)
        {
            return $"{server.Address} cannot connect an RDMA queue pair on {server.Nic.Name} to the peer's: {e.Message}";
        }
        _target = target;
        return null;
    }

    protected override async Task StreamAsync(IBlobSource source, ChunkPlan plan, ChannelReader<ChunkRef> refetches, CancellationToken cancellationToken)
    {
        try
        {
            await base.StreamAsync(source, plan, refetches, cancellationToken).ConfigureAwait(false);
        }
        catch (RdmaException e)
        {
            // The link or the peer's queue pair failed: to the peer this source is lost.
            await SendErrorAsync(ReplyKind.SourceLost, $"{server.Address} lost its RDMA connection on {server.Nic.Name}: {e.Message}", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends one chunk's hash and posts its write (waiting until it has landed, when the source is still being filled,
    /// and for room in the send queue); false when the source failed and the peer was told.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected override async ValueTask<bool> SendChunkAsync(IBlobSource source, ChunkPlan plan, ChunkRef chunk, CancellationToken cancellationToken)
    {
        if (await ReadChunkAsync(source, chunk, cancellationToken).ConfigureAwait(false) is not { } bytes) return false;
        if (Locate(source, bytes, chunk) is not { } local)
        {
            await SendErrorAsync(ReplyKind.Error, $"{server.Address} cannot send model bytes over RDMA from a source that is not one contiguous native image", cancellationToken).ConfigureAwait(false);
            return false;
        }

        new ReplyHeader(ReplyKind.Chunk, chunk.Blob, chunk.Length, chunk.OffsetInBlob, ChunkHash.Of(bytes.Span)).Write(_header);
        // The header's number on the side channel is the nonce: the receiver counts headers the same way and checks each
        // once its write has completed too, in whatever order. Over the source bytes: those the write carries.
        _mac?.Sign(_header, bytes.Span, _tag);
        if (server.ForgeOnSend?.Invoke(chunk.Blob, chunk.OffsetInBlob) == true)
        {
            // Test path only: the NIC stand-in alters this write in flight; the header gets the hash of the altered
            // bytes, as an attacker who can write into the side channel would send it. Only the MAC can tell.
            new ReplyHeader(ReplyKind.Chunk, chunk.Blob, chunk.Length, chunk.OffsetInBlob, ChunkForgery.HashOfAltered(bytes.Span)).Write(_header);
        }
        await SocketIo.SendAllAsync(Socket, _header, cancellationToken).ConfigureAwait(false);
        if (_mac is not null) await SocketIo.SendAllAsync(Socket, _tag, cancellationToken).ConfigureAwait(false);

        while (_window.IsFull)
        {
            if (Reap() == 0) await _backoff.IdleAsync(cancellationToken).ConfigureAwait(false);
        }
        _backoff.Reset();
        int index = plan.IndexOf(chunk);
        long imageOffset = source.Layout.Blobs[chunk.Blob].Offset + chunk.OffsetInBlob;
        ulong remote = _target.RegionAddress + (ulong)(imageOffset - _target.RegionImageOffset);
        _queuePair!.PostWriteWithImmediate((ulong)index, local, chunk.Length, _source!.LocalKey, remote, _target.RemoteKey, RdmaWire.Immediate(index));
        _window.Posted();
        return true;
    }

    /// <summary>
    /// The address of a chunk's bytes inside the source's registered image; the image is registered on the first
    /// chunk (its start is the chunk's address less the chunk's offset). Null when the source is not one native image.
    /// </summary>
    private nint? Locate(IBlobSource source, ReadOnlyMemory<byte> bytes, ChunkRef chunk)
    {
        long imageOffset = source.Layout.Blobs[chunk.Blob].Offset + chunk.OffsetInBlob;
        nint address;
        try
        {
            address = ImageRegion.Address(MemoryMarshal.AsMemory(bytes), $"source {server.Address}");
        }
        catch (ArgumentException)
        {
            return null;
        }
        _source ??= server.Nic.Register(address - (nint)imageOffset, source.Layout.TotalBytes, remoteWrite: false);
        return address == _source.Address + (nint)imageOffset ? address : null;
    }

    /// <summary>Takes the completions of finished writes; throws when one failed.</summary>
    private int Reap()
    {
        int n = _queuePair!.Poll(_completions);
        for (int i = 0; i < n; i++)
        {
            var completion = _completions[i];
            if (!completion.Succeeded)
                throw new RdmaException($"the RDMA write of chunk {completion.WorkRequestId} failed with completion status {completion.Status}", 0);
            if (completion.Kind == RdmaCompletionKind.WriteSent && !_window.Completed())
                throw new RdmaException($"a write completion (chunk {completion.WorkRequestId}) came with no write outstanding", 0);
        }
        return n;
    }
}
