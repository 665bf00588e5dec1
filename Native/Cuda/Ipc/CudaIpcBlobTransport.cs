using System.Net.Sockets;
using System.Text;
using BlitzScale.Native.Transport;

namespace BlitzScale.Native.Cuda.Ipc;

/// <summary>
/// Fetches blobs from a <see cref="CudaIpcBlobServer"/> in another process on this host straight into this process's
/// device image: the server's image is mapped once through its CUDA IPC handle (kept open for later transfers) and
/// each chunk is copied device to device (cuMemcpyDtoDAsync) to the same offset of <see cref="DeviceImage"/>. Each
/// landed chunk is then read back through a pinned buffer into the host image the transfer fills and checked there
/// (its hash, and its MAC under the session key), so the host copy is filled too and the check covers the device bytes
/// (correctness first; a device-side hash would save the read-back). Protocol: see <c>CudaIpcWire.cs</c>.
/// </summary>
/// <remarks>The CUDA calls block the calling thread-pool thread for the length of one chunk's copy.</remarks>
public sealed class CudaIpcBlobTransport : IBlobTransport, IDisposable
{
    private readonly byte[] _secret;
    private readonly CudaContext _context;
    private readonly CudaIpcTransportOptions _options;
    private readonly Dictionary<string, DeviceBuffer> _opened = new(StringComparer.Ordinal);

    /// <summary>Creates a transport that fills <paramref name="deviceImage"/> (blob b at <c>layout.Blobs[b].Offset</c>).</summary>
    /// <param name="clusterSecret">The secret to authenticate with (copied).</param>
    /// <param name="context">This process's context.</param>
    /// <param name="deviceImage">The device image to fill, laid out as the target host images of the transfers.</param>
    /// <param name="options">Timeouts and whether chunk MACs are required (by default they are).</param>
    /// <exception cref="ArgumentException">The secret is shorter than 16 bytes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public CudaIpcBlobTransport(byte[] clusterSecret, CudaContext context, DeviceBuffer deviceImage, CudaIpcTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(deviceImage);
        _secret = ClusterAuth.CopySecret(clusterSecret, nameof(clusterSecret));
        _context = context;
        DeviceImage = deviceImage;
        _options = options ?? new CudaIpcTransportOptions();
        _options.Validate();
    }

    /// <summary>The device image transfers land in.</summary>
    public DeviceBuffer DeviceImage { get; }

    /// <inheritdoc/>
    /// <remarks>
    /// <paramref name="peer"/> is the server's socket path (<see cref="CudaIpcBlobServer.Address"/>). The device image
    /// must hold <paramref name="target"/>'s whole layout.
    /// </remarks>
    public async Task<TransferResult> TransferAsync(
        string peer,
        TransferRequest request,
        IBlobSink target,
        IProgress<int>? blobReady = null,
        CancellationToken cancellationToken = default)
    {
        var tracker = new TransferTracker(peer, request, target, blobReady);
        if (target.Layout.TotalBytes > DeviceImage.Bytes)
        {
            throw new ArgumentOutOfRangeException(nameof(target),
                $"the target image has {target.Layout.TotalBytes} bytes; the device image only {DeviceImage.Bytes}");
        }
        return await TransferRun.RunAsync(tracker, "the connection", async () =>
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            var (remote, imageOffset, session) = await OpenAsync(socket, tracker, cancellationToken).ConfigureAwait(false);
            using var mac = session.ChunksAuthenticated ? new ChunkMac(session.SessionKey) : null;
            // A peer that proved the secret and then stalls must not hold the load forever: every frame restarts the clock.
            await IdleWatch.RunAsync(tracker, _options.IdleTimeout,
                idle => ReceiveAsync(socket, remote, imageOffset, mac, tracker, target, idle), cancellationToken).ConfigureAwait(false);
            var result = tracker.Result();
            SocketIo.ShutdownQuietly(socket);
            return result;
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Connects, authenticates, requests the range and maps the server's image (once per handle); a server that
    /// announces no chunk MACs is refused before the request when this node requires them.
    /// </summary>
    private async Task<(DeviceBuffer Remote, long ImageOffset, ClientSession Session)> OpenAsync(Socket socket, TransferTracker tracker, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(tracker.Peer), timeout.Token).ConfigureAwait(false);
            var session = await ClusterAuth.AuthenticateAsync(socket, _secret, tracker.Peer, tracker.Request.ModelId, timeout.Token).ConfigureAwait(false);
            session.Check(tracker, _options.RequireChunkAuthentication);

            await SocketIo.SendAllAsync(socket, tracker.RangeFrame(), timeout.Token).ConfigureAwait(false);

            var reply = new byte[CudaIpcWire.HandleFrameBytes];
            if (!await SocketIo.ReceiveExactlyAsync(socket, reply.AsMemory(0, WireFormat.HeaderBytes), timeout.Token).ConfigureAwait(false))
                throw tracker.Lost("it closed the connection before sending its image's handle");
            if (ReplyHeader.Read(reply) is { } error)
                throw await ReadErrorAsync(socket, error, tracker, timeout.Token).ConfigureAwait(false);
            if (!await SocketIo.ReceiveExactlyAsync(socket, reply.AsMemory(WireFormat.HeaderBytes), timeout.Token).ConfigureAwait(false))
                throw tracker.Lost("it closed the connection in the middle of its image's handle");
            if (!CudaIpcWire.TryReadHandle(reply, out long allocationBytes, out long imageOffset, out var handle))
                throw Broken(tracker, "answered with a frame that is neither a CUDA IPC handle nor an error");
            var remote = Map(handle, tracker);
            if (imageOffset < 0 || allocationBytes != remote.Bytes || imageOffset > remote.Bytes - tracker.Plan.ImageBytes)
                throw Broken(tracker, $"announced a {allocationBytes}-byte allocation with the image at {imageOffset}, which does not hold a {tracker.Plan.ImageBytes}-byte image (mapped: {remote.Bytes} bytes)");
            return (remote, imageOffset, session);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw tracker.Lost($"it did not connect, authenticate and send its handle within {_options.ConnectTimeout.TotalSeconds:0.#} s", e);
        }
    }

    private DeviceBuffer Map(byte[] handle, TransferTracker tracker)
    {
        string key = Convert.ToHexString(handle);
        lock (_opened)
        {
            if (_opened.TryGetValue(key, out var known)) return known;
            try
            {
                var remote = CudaIpc.Open(_context, handle);
                _opened[key] = remote;
                return remote;
            }
            catch (CudaException e)
            {
                throw new TransferException(tracker.Peer, tracker.Request.ModelId,
                    $"cannot map the device image of peer {tracker.Peer} (model \"{tracker.Request.ModelId}\"): {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// Per chunk frame (and its MAC tag, when the server sends them): copies the chunk device to device, reads it back
    /// into the host image and checks it there; a chunk that fails is copied again, checked against the same frame
    /// (its number on the connection names it), until it lands or the request's attempts are spent.
    /// </summary>
    private async Task ReceiveAsync(Socket socket, DeviceBuffer remote, long imageOffset, ChunkMac? mac, TransferTracker tracker, IBlobSink target,
        IdleWatch idle)
    {
        var cancellationToken = idle.Token;
        var header = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);
        var tag = GC.AllocateUninitializedArray<byte>(ChunkMac.TagBytes, pinned: true);
        ulong number = 0;
        using var stream = _context.CreateStream();
        using var readBack = _context.AllocatePinned(tracker.Request.ChunkBytes);
        var layout = target.Layout;
        while (tracker.Remaining > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            idle.Restart();
            if (!await SocketIo.ReceiveExactlyAsync(socket, header, cancellationToken).ConfigureAwait(false))
                throw tracker.Lost("it closed the connection mid-transfer");
            if (ReplyHeader.Read(header) is not { } frame)
                throw Broken(tracker, "sent a frame that is not a blob-protocol reply");
            if (frame.Kind != ReplyKind.Chunk)
                throw await ReadErrorAsync(socket, frame, tracker, cancellationToken).ConfigureAwait(false);

            var chunk = tracker.Expect(frame.Blob, frame.OffsetInBlob, frame.Length);
            if (mac is not null) await SocketIo.ReceiveTagAsync(socket, tag, cancellationToken).ConfigureAwait(false);
            ulong frameNumber = number++;
            long at = layout.Blobs[chunk.Blob].Offset + chunk.OffsetInBlob;
            var landing = target.ChunkMemory(chunk.Blob, chunk.OffsetInBlob, chunk.Length);
            // A chunk that fails its check is copied again from the mapped image; Land throws after the last attempt.
            do
            {
                DeviceImage.CopyFromAsync(remote, imageOffset + at, at, chunk.Length, stream);
                DeviceImage.CopyToAsync(readBack, 0, at, chunk.Length, stream);
                stream.Synchronize();
                readBack.Span(0, chunk.Length).CopyTo(landing.Span);
            }
            while (!tracker.Land(chunk, frame.Hash, mac is null || mac.Verify(frameNumber, header, landing.Span, tag)));
        }
    }

    private static TransferException Broken(TransferTracker tracker, string what) =>
        new(tracker.Peer, tracker.Request.ModelId, $"peer {tracker.Peer} {what} (model \"{tracker.Request.ModelId}\")");

    private static async Task<Exception> ReadErrorAsync(Socket socket, ReplyHeader frame, TransferTracker tracker, CancellationToken cancellationToken)
    {
        if (frame.Kind is not (ReplyKind.Error or ReplyKind.SourceLost))
            return Broken(tracker, $"sent a reply of kind {(int)frame.Kind} where a chunk was expected");
        return tracker.ErrorReply(await SocketIo.ReceiveMessageAsync(socket, frame.Length, cancellationToken).ConfigureAwait(false), frame.Kind == ReplyKind.SourceLost);
    }

    /// <summary>Unmaps every peer image this transport opened (cuIpcCloseMemHandle); the device image stays the caller's.</summary>
    public void Dispose()
    {
        lock (_opened)
        {
            foreach (var remote in _opened.Values) remote.Dispose();
            _opened.Clear();
        }
    }
}
