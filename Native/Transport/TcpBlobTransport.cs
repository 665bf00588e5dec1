using System.Net.Sockets;
using System.Text;

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
        try
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            SocketIo.Configure(socket, _options.SocketBufferBytes);
            await OpenAsync(socket, endPoint, tracker, cancellationToken).ConfigureAwait(false);
            await ReceiveAsync(socket, tracker, target, cancellationToken).ConfigureAwait(false);
            var result = tracker.Result();
            Close(socket);
            return result;
        }
        catch (Exception e)
        {
            var error = e switch
            {
                SocketException s => tracker.Lost($"the connection failed ({s.SocketErrorCode})", s),
                EndOfStreamException eof => tracker.Lost(eof.Message, eof),
                _ => e,
            };
            tracker.Fail(error);
            if (ReferenceEquals(error, e)) throw;
            throw error;
        }
    }

    /// <summary>Every chunk has landed: a peer that reset the connection meanwhile changes nothing.</summary>
    private static void Close(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
    }

    private async Task OpenAsync(Socket socket, System.Net.EndPoint endPoint, TransferTracker tracker, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            await ClusterAuth.AuthenticateAsync(socket, _secret, tracker.Peer, tracker.Request.ModelId, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw tracker.Lost($"it did not connect and authenticate within {_options.ConnectTimeout.TotalSeconds:0.#} s", e);
        }

        var request = tracker.Request;
        var modelId = Encoding.UTF8.GetBytes(request.ModelId);
        var frame = new byte[WireFormat.HeaderBytes + modelId.Length];
        RequestHeader.Range(request.FirstBlob, request.EndBlob, tracker.Plan.ImageBytes, request.ChunkBytes, modelId.Length).Write(frame);
        modelId.CopyTo(frame, WireFormat.HeaderBytes);
        await SocketIo.SendAllAsync(socket, frame, cancellationToken).ConfigureAwait(false);
    }

    private static async Task ReceiveAsync(Socket socket, TransferTracker tracker, IBlobSink target, CancellationToken cancellationToken)
    {
        // Pinned once, on the pinned-object heap: the socket never has to pin them per call.
        var header = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);
        var refetch = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);
        while (tracker.Remaining > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
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
            if (tracker.Land(chunk, reply.Hash)) continue;

            RequestHeader.Chunk(chunk).Write(refetch);
            await SocketIo.SendAllAsync(socket, refetch, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<Exception> ReadErrorAsync(Socket socket, ReplyHeader reply, TransferTracker tracker, CancellationToken cancellationToken)
    {
        string message = "(no message)";
        if (reply.Length is > 0 and <= WireFormat.MaxErrorBytes)
        {
            var bytes = new byte[reply.Length];
            if (await SocketIo.ReceiveExactlyAsync(socket, bytes, cancellationToken).ConfigureAwait(false))
                message = Encoding.UTF8.GetString(bytes);
        }
        var request = tracker.Request;
        return reply.Kind == ReplyKind.SourceLost
            ? tracker.Lost($"its own source was lost: {message}")
            : new TransferException(tracker.Peer, request.ModelId,
                $"peer {tracker.Peer} refused blobs {request.FirstBlob}..{request.EndBlob} of model \"{request.ModelId}\": {message}");
    }
}
