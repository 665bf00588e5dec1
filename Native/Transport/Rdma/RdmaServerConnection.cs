using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;
using BlitzScale.Native.Transport.SharedMemory;

namespace BlitzScale.Native.Transport.Rdma;

/// <summary>
/// One peer of an <see cref="RdmaBlobServer"/>: the handshake, its range request and queue-pair exchange over the side
/// channel, then a writer that, per chunk, sends the hash header and posts an RDMA write with immediate from the
/// registered source image into the peer's registered target, and a reader that takes refetch requests.
/// </summary>
internal sealed class RdmaServerConnection(RdmaBlobServer server, Socket socket) : IServedConnection
{
    // Pinned once, on the pinned-object heap: the socket never has to pin it per call.
    private readonly byte[] _header = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);
    private readonly RdmaCompletion[] _completions = new RdmaCompletion[16];
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly WriteWindow _window = new(server.Options.SendDepth);
    private CancellationTokenSource? _connection;
    private IRdmaQueuePair? _queuePair;
    private IRdmaRegion? _source;
    private RdmaConnectionInfo _target;
    private PollBackoff _backoff;

    public Task Ended => _ended.Task;

    public void Cut()
    {
        try
        {
            _connection?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already ended.
        }
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _connection = connection;
        try
        {
            // Off the accept loop: the handshake must not delay the next peer's accept.
            await Task.Yield();
            socket.NoDelay = true;
            if (await OpenAsync(connection.Token).ConfigureAwait(false) is not var (source, plan)) return;

            var refetches = Channel.CreateUnbounded<ChunkRef>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var reading = ReadRefetchesAsync(plan, refetches.Writer, connection);
            try
            {
                await StreamAsync(source, plan, refetches.Reader, connection.Token).ConfigureAwait(false);
            }
            finally
            {
                await connection.CancelAsync().ConfigureAwait(false);
                await reading.ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The peer went away, the server is stopping, or the model was retired: nothing to tell anyone.
        }
        finally
        {
            // The queue pair first: once it is destroyed the NIC reads the source image no more, and the region may go.
            _queuePair?.Dispose();
            _source?.Dispose();
            socket.Dispose();
            server.Models.NotServing(this);
            server.ConnectionEnded();
            _ended.TrySetResult();
        }
    }

    /// <summary>
    /// The handshake, the range request and the queue-pair exchange, within the authentication timeout; null when the
    /// connection must close (the peer was told why where it could be).
    /// </summary>
    private async Task<(IBlobSource Source, ChunkPlan Plan)?> OpenAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(server.Options.AuthenticationTimeout);
        bool? accepted = await ClusterAuth.ChallengeAsync(socket, server.Secret, timeout.Token).ConfigureAwait(false);
        if (accepted != true)
        {
            // Counted before the verdict goes out, so whoever sees the refusal also sees the count.
            server.CountRefused();
            if (accepted == false) await ClusterAuth.SendVerdictAsync(socket, false, timeout.Token).ConfigureAwait(false);
            return null;
        }
        await ClusterAuth.SendVerdictAsync(socket, true, timeout.Token).ConfigureAwait(false);

        var request = new byte[WireFormat.HeaderBytes];
        if (!await SocketIo.ReceiveExactlyAsync(socket, request, timeout.Token).ConfigureAwait(false)) return null;
        if (RequestHeader.Read(request) is not { Kind: RequestKind.Range } range
            || range.ModelIdBytes is <= 0 or > TransferRequest.MaxModelIdBytes)
        {
            await SendErrorAsync(ReplyKind.Error, "the first request of a connection must be a range request", timeout.Token).ConfigureAwait(false);
            return null;
        }
        var name = new byte[range.ModelIdBytes];
        if (!await SocketIo.ReceiveExactlyAsync(socket, name, timeout.Token).ConfigureAwait(false)) return null;
        string modelId = Encoding.UTF8.GetString(name);
        string? problem = server.Models.Open(this, server.Address, modelId, range, out var source, out var plan);

        var info = new byte[RdmaConnectionInfo.Bytes];
        if (!await SocketIo.ReceiveExactlyAsync(socket, info, timeout.Token).ConfigureAwait(false)) return null;
        problem ??= Accept(info, source!, plan!);
        if (problem is null)
        {
            RdmaConnectionInfo.Of(_queuePair!, server.Nic.Address).Write(info);
            await SocketIo.SendAllAsync(socket, info, timeout.Token).ConfigureAwait(false);
            var ready = new byte[RdmaWire.ReadyBytes];
            if (!await SocketIo.ReceiveExactlyAsync(socket, ready, timeout.Token).ConfigureAwait(false)) return null;
            if (BinaryPrimitives.ReadUInt32LittleEndian(ready) == RdmaWire.ReadyMagic) return (source!, plan!);
            problem = "the peer did not confirm its queue pair was ready";
        }
        await SendErrorAsync(ReplyKind.Error, problem, timeout.Token).ConfigureAwait(false);
        return null;
    }

    /// <summary>Checks the peer's target region against the request and connects a queue pair to it; the problem, or null.</summary>
    private string? Accept(ReadOnlySpan<byte> info, IBlobSource source, ChunkPlan plan)
    {
        if (RdmaConnectionInfo.Read(info, out string? problem) is not { } target)
            return $"{server.Address} cannot use the peer's RDMA connection info: {problem}";
        var blobs = source.Layout.Blobs;
        long start = blobs[plan.FirstBlob].Offset;
        long length = blobs[plan.EndBlob - 1].Offset + blobs[plan.EndBlob - 1].ByteLength - start;
        if (target.RegionImageOffset != start || (long)target.RegionLength != length)
        {
            return $"the peer registered {target.RegionLength} bytes from image offset {target.RegionImageOffset}; " +
                $"blobs {plan.FirstBlob}..{plan.EndBlob} span {length} bytes from offset {start}";
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

    /// <summary>Every chunk of the range in order, refetches first whenever one is waiting, then refetches until the peer closes.</summary>
    private async Task StreamAsync(IBlobSource source, ChunkPlan plan, ChannelReader<ChunkRef> refetches, CancellationToken cancellationToken)
    {
        try
        {
            for (int blob = plan.FirstBlob; blob < plan.EndBlob; blob++)
            {
                int chunks = plan.ChunksOf(blob);
                for (int i = 0; i < chunks; i++)
                {
                    while (refetches.TryRead(out var again))
                    {
                        if (!await WriteChunkAsync(source, plan, again, cancellationToken).ConfigureAwait(false)) return;
                    }
                    if (!await WriteChunkAsync(source, plan, plan.Get(blob, i), cancellationToken).ConfigureAwait(false)) return;
                }
            }
            while (await refetches.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (refetches.TryRead(out var again))
                {
                    if (!await WriteChunkAsync(source, plan, again, cancellationToken).ConfigureAwait(false)) return;
                }
            }
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
    private async ValueTask<bool> WriteChunkAsync(IBlobSource source, ChunkPlan plan, ChunkRef chunk, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> bytes;
        try
        {
            bytes = await source.ReadAsync(chunk.Blob, chunk.OffsetInBlob, chunk.Length, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The image this server forwards from will not get these bytes (its own transfer failed or was cancelled).
            var kind = e is TransferException or OperationCanceledException ? ReplyKind.SourceLost : ReplyKind.Error;
            await SendErrorAsync(kind, $"{server.Address} cannot send blob {chunk.Blob} chunk {chunk.Index}: {e.Message}", cancellationToken).ConfigureAwait(false);
            return false;
        }
        if (Locate(source, bytes, chunk) is not { } local)
        {
            await SendErrorAsync(ReplyKind.Error, $"{server.Address} cannot send model bytes over RDMA from a source that is not one contiguous native image", cancellationToken).ConfigureAwait(false);
            return false;
        }

        new ReplyHeader(ReplyKind.Chunk, chunk.Blob, chunk.Length, chunk.OffsetInBlob, ChunkHash.Of(bytes.Span)).Write(_header);
        await SocketIo.SendAllAsync(socket, _header, cancellationToken).ConfigureAwait(false);

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

    private async Task SendErrorAsync(ReplyKind kind, string message, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetBytes(message);
        var frame = new byte[WireFormat.HeaderBytes + text.Length];
        new ReplyHeader(kind, -1, text.Length, 0, ChunkHash.Of(text)).Write(frame);
        text.CopyTo(frame, WireFormat.HeaderBytes);
        await SocketIo.SendAllAsync(socket, frame, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes refetch requests until the peer closes or breaks the protocol; then cancels the connection, which also
    /// stops a writer still waiting for chunks to land or for room in the send queue.
    /// </summary>
    private async Task ReadRefetchesAsync(ChunkPlan plan, ChannelWriter<ChunkRef> refetches, CancellationTokenSource connection)
    {
        var header = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);
        try
        {
            while (await SocketIo.ReceiveExactlyAsync(socket, header, connection.Token).ConfigureAwait(false))
            {
                if (RequestHeader.Read(header) is not { Kind: RequestKind.Chunk } request
                    || !plan.TryLocate(request.Blob, request.B, request.A, out var chunk))
                {
                    break;
                }
                refetches.TryWrite(chunk);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Closed under us: the connection is ending anyway.
        }
        finally
        {
            refetches.TryComplete();
            await connection.CancelAsync().ConfigureAwait(false);
        }
    }
}
