using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;

namespace BlitzScale.Native.Transport.SharedMemory;

/// <summary>
/// One peer of a <see cref="SharedMemoryBlobServer"/>: the handshake, its one range request, its staging ring, then
/// two loops until the peer closes: a writer that stages each chunk in a free slot and announces it, and a reader that
/// takes slot releases (freeing the slot, and queueing the chunk again when the peer's hash check failed).
/// </summary>
internal sealed class SharedMemoryConnection(SharedMemoryBlobServer server, Socket socket) : IServedConnection
{
    // Pinned once, on the pinned-object heap: the socket never has to pin them per call.
    private readonly byte[] _frame = GC.AllocateUninitializedArray<byte>(SharedMemoryWire.FrameBytes, pinned: true);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _connection;

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
        StagingRing? ring = null;
        try
        {
            // Off the accept loop: the handshake must not delay the next peer's accept.
            await Task.Yield();
            if (await OpenAsync(connection.Token).ConfigureAwait(false) is not var (source, plan)) return;
            ring = await StageAsync(plan, connection.Token).ConfigureAwait(false);
            if (ring is null) return;

            var slots = new SlotPool(ring.Slots);
            var refetches = Channel.CreateUnbounded<ChunkRef>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var reading = ReadReleasesAsync(slots, refetches.Writer, connection);
            try
            {
                await StreamAsync(source, plan, ring, slots, refetches.Reader, connection.Token).ConfigureAwait(false);
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
            socket.Dispose();
            if (ring is not null)
            {
                ring.Dispose();
                File.Delete(ring.Path);
            }
            server.Models.NotServing(this);
            server.ConnectionEnded();
            _ended.TrySetResult();
        }
    }

    /// <summary>The handshake and the range request, within the authentication timeout; null when the connection must close.</summary>
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
            await SendMessageAsync(SlotFrameKind.Error, "the first request of a connection must be a range request", timeout.Token).ConfigureAwait(false);
            return null;
        }
        var name = new byte[range.ModelIdBytes];
        if (!await SocketIo.ReceiveExactlyAsync(socket, name, timeout.Token).ConfigureAwait(false)) return null;
        string modelId = Encoding.UTF8.GetString(name);

        string? problem = server.Models.Open(this, server.Address, modelId, range, out var source, out var plan);
        if (problem is not null)
        {
            await SendMessageAsync(SlotFrameKind.Error, problem, timeout.Token).ConfigureAwait(false);
            return null;
        }
        return (source!, plan!);
    }

    /// <summary>Creates this connection's ring and tells the peer where it is; null when it could not be created (the peer was told).</summary>
    private async Task<StagingRing?> StageAsync(ChunkPlan plan, CancellationToken cancellationToken)
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
            await SendMessageAsync(SlotFrameKind.Error,
                $"{server.Address} cannot create a {(long)slots * plan.ChunkBytes}-byte staging ring in {server.RingDirectory}: {e.Message}", cancellationToken).ConfigureAwait(false);
            return null;
        }
        var name = Encoding.UTF8.GetBytes(fileName);
        var frame = new byte[SharedMemoryWire.FrameBytes + name.Length];
        SlotFrame.Ring(slots, plan.ChunkBytes, name.Length).Write(frame);
        name.CopyTo(frame, SharedMemoryWire.FrameBytes);
        try
        {
            await SocketIo.SendAllAsync(socket, frame, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ring.Dispose();
            File.Delete(ring.Path);
            throw;
        }
        return ring;
    }

    /// <summary>Every chunk of the range in order, refetches first whenever one is waiting, then refetches until the peer closes.</summary>
    private async Task StreamAsync(IBlobSource source, ChunkPlan plan, StagingRing ring, SlotPool slots, ChannelReader<ChunkRef> refetches, CancellationToken cancellationToken)
    {
        for (int blob = plan.FirstBlob; blob < plan.EndBlob; blob++)
        {
            int chunks = plan.ChunksOf(blob);
            for (int i = 0; i < chunks; i++)
            {
                while (refetches.TryRead(out var again))
                {
                    if (!await StageChunkAsync(source, again, ring, slots, cancellationToken).ConfigureAwait(false)) return;
                }
                if (!await StageChunkAsync(source, plan.Get(blob, i), ring, slots, cancellationToken).ConfigureAwait(false)) return;
            }
        }
        while (await refetches.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (refetches.TryRead(out var again))
            {
                if (!await StageChunkAsync(source, again, ring, slots, cancellationToken).ConfigureAwait(false)) return;
            }
        }
    }

    /// <summary>
    /// Copies one chunk into a free slot (waiting until it has landed, when the source is still being filled, and until
    /// the peer frees a slot) and announces it; false when the source failed and the peer was told.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> StageChunkAsync(IBlobSource source, ChunkRef chunk, StagingRing ring, SlotPool slots, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> bytes;
        try
        {
            bytes = await source.ReadAsync(chunk.Blob, chunk.OffsetInBlob, chunk.Length, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The image this server forwards from will not get these bytes (its own transfer failed or was cancelled).
            var kind = e is TransferException or OperationCanceledException ? SlotFrameKind.SourceLost : SlotFrameKind.Error;
            await SendMessageAsync(kind, $"{server.Address} cannot send blob {chunk.Blob} chunk {chunk.Index}: {e.Message}", cancellationToken).ConfigureAwait(false);
            return false;
        }

        int slot = await slots.RentAsync(chunk).ConfigureAwait(false);
        // The sender's hash is over the source, not the staged copy: a bad copy is caught on the other side.
        ulong hash = ChunkHash.Of(bytes.Span);
        var staged = ring.Slot(slot, chunk.Length);
        bytes.Span.CopyTo(staged);
        if (server.CorruptOnSend?.Invoke(chunk.Blob, chunk.OffsetInBlob) == true)
            staged[staged.Length / 2] ^= 0x5A;

        SlotFrame.Chunk(slot, chunk, hash).Write(_frame);
        await SocketIo.SendAllAsync(socket, _frame, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task SendMessageAsync(SlotFrameKind kind, string message, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetBytes(message);
        var frame = new byte[SharedMemoryWire.FrameBytes + text.Length];
        SlotFrame.Message(kind, text.Length).Write(frame);
        text.CopyTo(frame, SharedMemoryWire.FrameBytes);
        await SocketIo.SendAllAsync(socket, frame, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes slot releases until the peer closes or breaks the protocol; then closes the slot pool and cancels the
    /// connection, which also stops a writer still waiting for a slot or for chunks to land.
    /// </summary>
    private async Task ReadReleasesAsync(SlotPool slots, ChannelWriter<ChunkRef> refetches, CancellationTokenSource connection)
    {
        var frame = GC.AllocateUninitializedArray<byte>(SharedMemoryWire.ReleaseBytes, pinned: true);
        try
        {
            while (await SocketIo.ReceiveExactlyAsync(socket, frame, connection.Token).ConfigureAwait(false))
            {
                if (SlotRelease.Read(frame) is not { } release || !slots.Release(release.Slot, out var chunk))
                    break;
                if (release.Refetch) refetches.TryWrite(chunk);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Closed under us: the connection is ending anyway.
        }
        finally
        {
            slots.Close(new OperationCanceledException("the peer closed the connection"));
            refetches.TryComplete();
            await connection.CancelAsync().ConfigureAwait(false);
        }
    }
}
