using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;

namespace BlitzScale.Native.Transport;

/// <summary>
/// One peer of a blob server, whatever carries the chunk bytes: the handshake and its one range request, then two
/// loops until the peer closes: a writer that sends the range (refetches first whenever one is waiting) and a reader
/// that takes the peer's refetch requests. Each transport says how a chunk and an error travel.
/// </summary>
internal abstract class ServedConnection(ServerCore host, Socket socket)
{
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _connection;
    // Set when the peer opened an activation push stream instead of a range: the inbox its frames go to.
    private ActivationInbox? _pushes;

    /// <summary>Completes once the connection has closed and stopped touching its source's memory.</summary>
    public Task Ended => _ended.Task;

    protected Socket Socket => socket;

    protected ServerCore Host => host;

    /// <summary>The key the handshake agreed on with this peer; null before it.</summary>
    protected byte[]? SessionKey { get; private set; }

    /// <summary>The flags this server announces in its hello (<see cref="WireFormat.ChunkMacFlag"/>).</summary>
    protected virtual ushort HelloFlags => 0;

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
            Configure();
            if (await OpenAsync(connection.Token).ConfigureAwait(false) is not var (source, plan))
            {
                if (_pushes is { } inbox) await ActivationReceiver.RunAsync(host, socket, SessionKey!, inbox, connection.Token).ConfigureAwait(false);
                return;
            }
            if (!await PrepareAsync(plan, connection.Token).ConfigureAwait(false)) return;

            var refetches = Channel.CreateUnbounded<ChunkRef>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var reading = ReadAsync(plan, refetches.Writer, connection);
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
            Release();
            socket.Dispose();
            host.Models.NotServing(this);
            host.ConnectionEnded();
            _ended.TrySetResult();
        }
    }

    /// <summary>Sets the socket up before the handshake.</summary>
    protected virtual void Configure()
    {
    }

    /// <summary>
    /// Agrees on the range the server accepted (<paramref name="problem"/> null) or refused, within the authentication
    /// timeout; false when the connection must close (the peer was told why where it could be).
    /// </summary>
    protected virtual async Task<bool> AgreeAsync(string? problem, IBlobSource? source, ChunkPlan? plan, CancellationToken cancellationToken)
    {
        if (problem is null) return true;
        await SendErrorAsync(ReplyKind.Error, problem, cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>Sets up what the range is sent through; false when it could not be (the peer was told).</summary>
    protected virtual Task<bool> PrepareAsync(ChunkPlan plan, CancellationToken cancellationToken) => Task.FromResult(true);

    /// <summary>Frees what the connection held besides its socket, once nothing reads its source any more.</summary>
    protected virtual void Release()
    {
    }

    /// <summary>Sends one chunk (<see cref="ReadChunkAsync"/> first); false when the source failed and the peer was told.</summary>
    protected abstract ValueTask<bool> SendChunkAsync(IBlobSource source, ChunkPlan plan, ChunkRef chunk, CancellationToken cancellationToken);

    /// <summary>Every chunk of the range in order, refetches first whenever one is waiting, then refetches until the peer closes.</summary>
    protected virtual async Task StreamAsync(IBlobSource source, ChunkPlan plan, ChannelReader<ChunkRef> refetches, CancellationToken cancellationToken)
    {
        for (int blob = plan.FirstBlob; blob < plan.EndBlob; blob++)
        {
            int chunks = plan.EndOf(blob);
            for (int i = plan.StartOf(blob); i < chunks; i++)
            {
                while (refetches.TryRead(out var again))
                {
                    if (!await SendChunkAsync(source, plan, again, cancellationToken).ConfigureAwait(false)) return;
                }
                if (!await SendChunkAsync(source, plan, plan.Get(blob, i), cancellationToken).ConfigureAwait(false)) return;
            }
        }
        while (await refetches.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (refetches.TryRead(out var again))
            {
                if (!await SendChunkAsync(source, plan, again, cancellationToken).ConfigureAwait(false)) return;
            }
        }
    }

    /// <summary>
    /// A chunk's bytes from the source, waiting until it has landed when the source is still being filled; null when
    /// the source failed and the peer was told.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected async ValueTask<ReadOnlyMemory<byte>?> ReadChunkAsync(IBlobSource source, ChunkRef chunk, CancellationToken cancellationToken)
    {
        try
        {
            return await source.ReadAsync(chunk.Blob, chunk.OffsetInBlob, chunk.Length, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The image this server forwards from will not get these bytes (its own transfer failed or was cancelled).
            var kind = e is TransferException or OperationCanceledException ? ReplyKind.SourceLost : ReplyKind.Error;
            await SendErrorAsync(kind, $"{host.Address} cannot send blob {chunk.Blob} chunk {chunk.Index}: {e.Message}", cancellationToken).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>Tells the peer why it gets no (more) chunks; by default as a blob-protocol reply.</summary>
    protected virtual async Task SendErrorAsync(ReplyKind kind, string message, CancellationToken cancellationToken)
    {
        await SocketIo.SendAllAsync(socket, ReplyHeader.ErrorFrame(kind, message), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes the peer's refetch requests until it closes or breaks the protocol; by default blob-protocol chunk
    /// requests.
    /// </summary>
    protected virtual async Task ReadPeerAsync(ChunkPlan plan, ChannelWriter<ChunkRef> refetches, CancellationToken cancellationToken)
    {
        var header = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);
        while (await SocketIo.ReceiveExactlyAsync(socket, header, cancellationToken).ConfigureAwait(false))
        {
            if (RequestHeader.Read(header) is not { Kind: RequestKind.Chunk } request
                || !plan.TryLocate(request.Blob, request.B, request.A, out var chunk))
            {
                host.Cut(socket, "it sent a frame that is not a refetch of a chunk of its range");
                return;
            }
            refetches.TryWrite(chunk);
        }
    }

    /// <summary>The handshake and the range request, within the authentication timeout; null when the connection must close.</summary>
    private async Task<(IBlobSource Source, ChunkPlan Plan)?> OpenAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(host.AuthenticationTimeout);
        bool authenticated = false;
        try
        {
            SessionKey = await ClusterAuth.AcceptAsync(socket, host.Secret, HelloFlags, why => host.Refuse(socket, why), timeout.Token).ConfigureAwait(false);
            if (SessionKey is null) return null;
            authenticated = true;

            var request = new byte[WireFormat.HeaderBytes];
            if (!await SocketIo.ReceiveExactlyAsync(socket, request, timeout.Token).ConfigureAwait(false)) return null;
            if (RequestHeader.Read(request) is { Kind: RequestKind.ActivationStream })
            {
                if (host.Activations is null)
                {
                    host.Cut(socket, "it opened an activation push stream on a server that takes none");
                    return null;
                }
                _pushes = host.Activations;
                return null;
            }
            if (RequestHeader.Read(request) is not { IsRange: true } range
                || range.ModelIdBytes is <= 0 or > TransferRequest.MaxModelIdBytes)
            {
                host.CutFirstRequest(socket);
                await SendErrorAsync(ReplyKind.Error, "the first request of a connection must be a range request", timeout.Token).ConfigureAwait(false);
                return null;
            }
            if (await RangeRequest.ReadTailAsync(socket, range, timeout.Token).ConfigureAwait(false) is not var (modelId, firstChunk)) return null;

            string? problem = host.Models.Open(this, host.Address, modelId, range, firstChunk, out var source, out var plan);
            return await AgreeAsync(problem, source, plan, timeout.Token).ConfigureAwait(false) ? (source!, plan!) : null;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            host.TimedOut(socket, authenticated);
            return null;
        }
    }

    /// <summary>
    /// Runs <see cref="ReadPeerAsync"/>; then cancels the connection, which also stops a writer still waiting for
    /// chunks to land or for room to send.
    /// </summary>
    private async Task ReadAsync(ChunkPlan plan, ChannelWriter<ChunkRef> refetches, CancellationTokenSource connection)
    {
        try
        {
            await ReadPeerAsync(plan, refetches, connection.Token).ConfigureAwait(false);
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
