using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;

namespace BlitzScale.Native.Transport;

/// <summary>
/// One peer of a <see cref="BlobServer"/>: the handshake, its one range request, then two loops until the peer
/// closes: a writer that streams the range (and refetches) straight from the image memory, and a reader that takes
/// refetch requests for chunks that failed the peer's hash check.
/// </summary>
internal sealed class ServerConnection(BlobServer server, Socket socket)
{
    // Pinned once, on the pinned-object heap: the socket never has to pin them per call.
    private readonly byte[] _reply = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);
    private readonly byte[] _request = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);

    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _connection;

    /// <summary>Completes once the connection has closed and stopped touching the source's memory.</summary>
    public Task Ended => _ended.Task;

    /// <summary>Stops sending: the peer sees its source lost.</summary>
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
            SocketIo.Configure(socket, server.Options.SocketBufferBytes);
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
            // The peer went away, or the server is stopping: nothing to tell anyone.
        }
        finally
        {
            socket.Dispose();
            server.NotServing(this);
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

        if (!await SocketIo.ReceiveExactlyAsync(socket, _request, timeout.Token).ConfigureAwait(false)) return null;
        if (RequestHeader.Read(_request) is not { Kind: RequestKind.Range } range
            || range.ModelIdBytes is <= 0 or > TransferRequest.MaxModelIdBytes)
        {
            await SendErrorAsync(ReplyKind.Error, "the first request of a connection must be a range request", timeout.Token).ConfigureAwait(false);
            return null;
        }
        var name = new byte[range.ModelIdBytes];
        if (!await SocketIo.ReceiveExactlyAsync(socket, name, timeout.Token).ConfigureAwait(false)) return null;
        string modelId = Encoding.UTF8.GetString(name);

        string? problem = Check(modelId, range, out var source);
        if (problem is not null)
        {
            await SendErrorAsync(ReplyKind.Error, problem, timeout.Token).ConfigureAwait(false);
            return null;
        }
        // Tracked before the first byte is read from the source, so retiring the source waits for this connection.
        if (!server.Serving(this, modelId, source!)) return null;
        return (source!, new ChunkPlan(source!.Layout, range.Blob, range.A, range.C));
    }

    private string? Check(string modelId, RequestHeader range, out IBlobSource? source)
    {
        source = server.Find(modelId);
        if (source is null) return $"model \"{modelId}\" is not served by {server.Address}";
        var layout = source.Layout;
        if (range.B != layout.TotalBytes)
            return $"model \"{modelId}\" on {server.Address} has a {layout.TotalBytes}-byte image, the request expects {range.B} bytes: the layouts differ";
        if (range.Blob < 0 || range.A <= range.Blob || range.A > layout.Blobs.Count)
            return $"blobs {range.Blob}..{range.A} are not a range of model \"{modelId}\" ({layout.Blobs.Count} blobs)";
        if (range.C is < TransferRequest.MinChunkBytes or > TransferRequest.MaxChunkBytes)
            return $"chunk size {range.C} is outside {TransferRequest.MinChunkBytes}..{TransferRequest.MaxChunkBytes}";
        return null;
    }

    /// <summary>Every chunk of the range in order, refetches first whenever one is waiting, then refetches until the peer closes.</summary>
    private async Task StreamAsync(IBlobSource source, ChunkPlan plan, ChannelReader<ChunkRef> refetches, CancellationToken cancellationToken)
    {
        for (int blob = plan.FirstBlob; blob < plan.EndBlob; blob++)
        {
            int chunks = plan.ChunksOf(blob);
            for (int i = 0; i < chunks; i++)
            {
                while (refetches.TryRead(out var again))
                {
                    if (!await SendChunkAsync(source, again, cancellationToken).ConfigureAwait(false)) return;
                }
                if (!await SendChunkAsync(source, plan.Get(blob, i), cancellationToken).ConfigureAwait(false)) return;
            }
        }
        while (await refetches.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (refetches.TryRead(out var again))
            {
                if (!await SendChunkAsync(source, again, cancellationToken).ConfigureAwait(false)) return;
            }
        }
    }

    /// <summary>Sends one chunk (waiting until it has landed, when the source is still being filled); false when the source failed and the peer was told.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SendChunkAsync(IBlobSource source, ChunkRef chunk, CancellationToken cancellationToken)
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

        new ReplyHeader(ReplyKind.Chunk, chunk.Blob, chunk.Length, chunk.OffsetInBlob, ChunkHash.Of(bytes.Span)).Write(_reply);
        await SocketIo.SendAllAsync(socket, _reply, cancellationToken).ConfigureAwait(false);
        if (server.CorruptOnSend?.Invoke(chunk.Blob, chunk.OffsetInBlob) == true)
        {
            // Test path only: never touch the image itself, it is what the other peers are served from.
            var corrupted = bytes.ToArray();
            corrupted[corrupted.Length / 2] ^= 0x5A;
            bytes = corrupted;
        }
        await SocketIo.SendAllAsync(socket, bytes, cancellationToken).ConfigureAwait(false);
        return true;
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
    /// stops a writer still waiting for chunks to land.
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
