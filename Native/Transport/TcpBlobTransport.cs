using System.Net.Sockets;

namespace BlitzScale.Native.Transport;

/// <summary>
/// Fetches blobs from a <see cref="BlobServer"/> over TCP: one connection per transfer, the whole range requested at
/// once and streamed back (as many chunks in flight as the socket buffers hold), each chunk received straight into the
/// target image's memory and hashed there. Wire format: see the protocol notes in the source (<c>WireFormat.cs</c>).
/// </summary>
public sealed class TcpBlobTransport : IBlobTransport
{
    private readonly byte[] _secret;
    private readonly TcpTransportOptions _options;

    /// <summary>Creates a transport that authenticates with <paramref name="clusterSecret"/> (copied).</summary>
    /// <exception cref="ArgumentException">The secret is shorter than 16 bytes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public TcpBlobTransport(byte[] clusterSecret, TcpTransportOptions? options = null)
    {
        _secret = ClusterAuth.CopySecret(clusterSecret, nameof(clusterSecret));
        _options = options ?? new TcpTransportOptions();
        _options.Validate();
    }

    /// <inheritdoc/>
    /// <remarks><paramref name="peer"/> is the server's <c>host:port</c> (<see cref="BlobServer.Address"/>).</remarks>
    public async Task<TransferResult> TransferAsync(
        string peer,
        TransferRequest request,
        IBlobSink target,
        IProgress<int>? blobReady = null,
        CancellationToken cancellationToken = default)
    {
        var tracker = new TransferTracker(peer, request, target, blobReady);
        var endPoint = PeerAddress.Parse(peer);
        return await TransferRun.RunAsync(tracker, "the connection", async () =>
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            SocketIo.Configure(socket, _options.SocketBufferBytes);
            using var mac = await OpenAsync(socket, endPoint, tracker, cancellationToken).ConfigureAwait(false);
            // A peer that proved the secret and then stalls must not hold the load forever: every frame restarts the clock.
            await IdleWatch.RunAsync(tracker, _options.IdleTimeout, idle => ReceiveFramesAsync(socket, tracker, target, mac, idle), cancellationToken).ConfigureAwait(false);
            var result = tracker.Result();
            SocketIo.ShutdownQuietly(socket);
            return result;
        }).ConfigureAwait(false);
    }

    /// <summary>Connects, authenticates and sends the range request; the chunk MAC of the session, if any.</summary>
    private async Task<ChunkMac?> OpenAsync(Socket socket, System.Net.EndPoint endPoint, TransferTracker tracker, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        ClientSession session;
        try
        {
            await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            session = await ClusterAuth.AuthenticateAsync(socket, _secret, tracker.Peer, tracker.Request.ModelId, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw tracker.Lost($"it did not connect and authenticate within {_options.ConnectTimeout.TotalSeconds:0.#} s", e);
        }

        var mac = session.ChunkMacFor(tracker, _options.RequireChunkAuthentication);
        try
        {
            await SocketIo.SendAllAsync(socket, tracker.RangeFrame(), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            mac?.Dispose();
            throw;
        }
        return mac;
    }

    private static async Task ReceiveFramesAsync(Socket socket, TransferTracker tracker, IBlobSink target, ChunkMac? mac, IdleWatch idle)
    {
        var cancellationToken = idle.Token;
        // Pinned once, on the pinned-object heap: the socket never has to pin them per call.
        var header = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);
        var refetch = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);
        var tag = GC.AllocateUninitializedArray<byte>(ChunkMac.TagBytes, pinned: true);
        while (tracker.Remaining > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            idle.Restart();
            if (!await SocketIo.ReceiveExactlyAsync(socket, header, cancellationToken).ConfigureAwait(false))
                throw tracker.Lost("it closed the connection mid-transfer");
            var reply = ReplyHeader.Read(header)
                ?? throw new TransferException(tracker.Peer, tracker.Request.ModelId,
                    $"peer {tracker.Peer} sent a frame that is not a blob-protocol reply (model \"{tracker.Request.ModelId}\")");
            if (reply.Kind != ReplyKind.Chunk)
                throw await ReadErrorAsync(socket, reply, tracker, cancellationToken).ConfigureAwait(false);

            var chunk = tracker.Expect(reply.Blob, reply.OffsetInBlob, reply.Length);
            var landing = target.ChunkMemory(chunk.Blob, chunk.OffsetInBlob, chunk.Length);
            if (!await SocketIo.ReceiveExactlyAsync(socket, landing, cancellationToken).ConfigureAwait(false))
                throw tracker.Lost($"it closed the connection in the middle of blob {chunk.Blob} chunk {chunk.Index}");
            if (tracker.Land(chunk, reply.Hash, mac is null || await AuthenticAsync(socket, mac, header, landing, tag, cancellationToken).ConfigureAwait(false)))
                continue;

            RequestHeader.Chunk(chunk).Write(refetch);
            await SocketIo.SendAllAsync(socket, refetch, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the chunk's MAC and checks it against the header and the bytes that landed.</summary>
    private static async ValueTask<bool> AuthenticAsync(Socket socket, ChunkMac mac, byte[] header, Memory<byte> landed, byte[] tag, CancellationToken cancellationToken)
    {
        await SocketIo.ReceiveTagAsync(socket, tag, cancellationToken).ConfigureAwait(false);
        return mac.Verify(header, landed.Span, tag);
    }

    private static async Task<Exception> ReadErrorAsync(Socket socket, ReplyHeader reply, TransferTracker tracker, CancellationToken cancellationToken) =>
        tracker.ErrorReply(await SocketIo.ReceiveMessageAsync(socket, reply.Length, cancellationToken).ConfigureAwait(false), reply.Kind == ReplyKind.SourceLost);
}
