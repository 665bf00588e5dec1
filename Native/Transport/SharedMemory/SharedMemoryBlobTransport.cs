using System.Net.Sockets;
using System.Text;

namespace BlitzScale.Native.Transport.SharedMemory;

/// <summary>
/// Fetches blobs from a <see cref="SharedMemoryBlobServer"/> in another process on this host: one Unix-socket
/// connection per transfer, the whole range requested at once; the server stages chunks in a shared-memory ring
/// (as many ahead as it has slots) and this side copies each one straight from its slot into the target image, where
/// it is hashed. Protocol: see <c>SharedMemoryWire.cs</c>.
/// </summary>
public sealed class SharedMemoryBlobTransport : IBlobTransport
{
    private readonly byte[] _secret;
    private readonly SharedMemoryTransportOptions _options;

    /// <summary>Creates a transport that authenticates with <paramref name="clusterSecret"/> (copied).</summary>
    /// <exception cref="ArgumentException">The secret is shorter than 16 bytes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public SharedMemoryBlobTransport(byte[] clusterSecret, SharedMemoryTransportOptions? options = null)
    {
        _secret = ClusterAuth.CopySecret(clusterSecret, nameof(clusterSecret));
        _options = options ?? new SharedMemoryTransportOptions();
        _options.Validate();
    }

    /// <inheritdoc/>
    /// <remarks><paramref name="peer"/> is the server's socket path (<see cref="SharedMemoryBlobServer.Address"/>).</remarks>
    public async Task<TransferResult> TransferAsync(
        string peer,
        TransferRequest request,
        IBlobSink target,
        IProgress<int>? blobReady = null,
        CancellationToken cancellationToken = default)
    {
        var tracker = new TransferTracker(peer, request, target, blobReady);
        return await TransferRun.RunAsync(tracker, "the connection", async () =>
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            var (ring, mac) = await OpenAsync(socket, tracker, cancellationToken).ConfigureAwait(false);
            using (ring)
            using (mac)
            {
                // A peer that proved the secret and then stalls must not hold the load forever: every frame restarts the clock.
                await IdleWatch.RunAsync(tracker, _options.IdleTimeout, idle => ReceiveAsync(socket, ring, mac, tracker, idle), cancellationToken).ConfigureAwait(false);
            }
            var result = tracker.Result();
            SocketIo.ShutdownQuietly(socket);
            return result;
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Connects, authenticates, sends the range request and maps the ring the server staged for it; the ring and the
    /// session's chunk MAC, if any (a server without one is refused before the request when this node requires it).
    /// </summary>
    private async Task<(StagingRing Ring, ChunkMac? Mac)> OpenAsync(Socket socket, TransferTracker tracker, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(tracker.Peer), timeout.Token).ConfigureAwait(false);
            var session = await ClusterAuth.AuthenticateAsync(socket, _secret, tracker.Peer, tracker.Request.ModelId, timeout.Token).ConfigureAwait(false);
            session.Check(tracker, _options.RequireChunkAuthentication);

            await SocketIo.SendAllAsync(socket, tracker.RangeFrame(), timeout.Token).ConfigureAwait(false);

            var header = new byte[SharedMemoryWire.FrameBytes];
            if (!await SocketIo.ReceiveExactlyAsync(socket, header, timeout.Token).ConfigureAwait(false))
                throw tracker.Lost("it closed the connection before staging the transfer");
            var reply = ReadFrame(header, tracker);
            if (reply.Kind != SlotFrameKind.Ring)
                throw await ReadErrorAsync(socket, reply, tracker, timeout.Token).ConfigureAwait(false);
            var ring = await MapRingAsync(socket, reply, tracker, timeout.Token).ConfigureAwait(false);
            return (ring, session.ChunksAuthenticated ? new ChunkMac(session.SessionKey) : null);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw tracker.Lost($"it did not connect, authenticate and stage the transfer within {_options.ConnectTimeout.TotalSeconds:0.#} s", e);
        }
    }

    private static async Task<StagingRing> MapRingAsync(Socket socket, SlotFrame ring, TransferTracker tracker, CancellationToken cancellationToken)
    {
        if (ring.Length is <= 0 or > SharedMemoryWire.MaxRingNameBytes || ring.Slot < 1 || ring.OffsetInBlob != tracker.Request.ChunkBytes)
            throw Broken(tracker, $"announced a staging ring of {ring.Slot} slots of {ring.OffsetInBlob} bytes named by {ring.Length} bytes, for {tracker.Request.ChunkBytes}-byte chunks");
        var name = new byte[ring.Length];
        if (!await SocketIo.ReceiveExactlyAsync(socket, name, cancellationToken).ConfigureAwait(false))
            throw tracker.Lost("it closed the connection before naming its staging ring");
        string fileName = Encoding.UTF8.GetString(name);
        // Only a plain name in the socket's own directory: the server cannot point this process at any other file.
        if (Path.GetFileName(fileName) != fileName || fileName is "." or ".." || fileName.AsSpan().IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw Broken(tracker, $"named its staging ring \"{fileName}\", which is not a plain file name");
        string path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tracker.Peer))!, fileName);
        StagingRing staging;
        try
        {
            staging = StagingRing.Open(path, ring.Slot, (int)ring.OffsetInBlob);
        }
        // InvalidDataException: the file is not the size the server announced (a broken or hostile server).
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new TransferException(tracker.Peer, tracker.Request.ModelId,
                $"cannot map the staging ring {path} of peer {tracker.Peer} (model \"{tracker.Request.ModelId}\"): {e.Message}", e);
        }
        // Both sides have it mapped now (the server since before it named it): the name is no longer needed.
        File.Delete(path);
        return staging;
    }

    /// <summary>
    /// Takes each chunk frame (and its MAC tag when the server sends them), copies the chunk from its slot into the
    /// image, checks it there (hash and MAC) and releases the slot, asking for the chunk again when it failed.
    /// </summary>
    private static async Task ReceiveAsync(Socket socket, StagingRing ring, ChunkMac? mac, TransferTracker tracker, IdleWatch idle)
    {
        var cancellationToken = idle.Token;
        // Pinned once, on the pinned-object heap: the socket never has to pin them per call.
        var header = GC.AllocateUninitializedArray<byte>(SharedMemoryWire.FrameBytes, pinned: true);
        var release = GC.AllocateUninitializedArray<byte>(SharedMemoryWire.ReleaseBytes, pinned: true);
        var tag = GC.AllocateUninitializedArray<byte>(ChunkMac.TagBytes, pinned: true);
        while (tracker.Remaining > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            idle.Restart();
            if (!await SocketIo.ReceiveExactlyAsync(socket, header, cancellationToken).ConfigureAwait(false))
                throw tracker.Lost("it closed the connection mid-transfer");
            var frame = ReadFrame(header, tracker);
            if (frame.Kind != SlotFrameKind.Chunk)
                throw await ReadErrorAsync(socket, frame, tracker, cancellationToken).ConfigureAwait(false);
            if ((uint)frame.Slot >= (uint)ring.Slots)
                throw Broken(tracker, $"announced a chunk in slot {frame.Slot} of a {ring.Slots}-slot ring");

            var chunk = tracker.Expect(frame.Blob, frame.OffsetInBlob, frame.Length);
            if (mac is not null) await SocketIo.ReceiveTagAsync(socket, tag, cancellationToken).ConfigureAwait(false);
            // Checked after the copy, in the image: the peer may still write its slot, the image is this process's alone.
            var landing = tracker.Landing(chunk).Span;
            ring.Slot(frame.Slot, chunk.Length).CopyTo(landing);
            bool landed = tracker.Land(chunk, frame.Hash, mac is null || mac.Verify(header, landing, tag));
            new SlotRelease(frame.Slot, Refetch: !landed).Write(release);
            await SocketIo.SendAllAsync(socket, release, cancellationToken).ConfigureAwait(false);
        }
    }

    private static SlotFrame ReadFrame(ReadOnlySpan<byte> header, TransferTracker tracker) =>
        SlotFrame.Read(header) ?? throw Broken(tracker, "sent a frame that is not a shared-memory blob-protocol frame");

    private static TransferException Broken(TransferTracker tracker, string what) =>
        new(tracker.Peer, tracker.Request.ModelId, $"peer {tracker.Peer} {what} (model \"{tracker.Request.ModelId}\")");

    private static async Task<Exception> ReadErrorAsync(Socket socket, SlotFrame frame, TransferTracker tracker, CancellationToken cancellationToken)
    {
        if (frame.Kind is not (SlotFrameKind.Error or SlotFrameKind.SourceLost))
            return Broken(tracker, $"sent a frame of kind {(int)frame.Kind} where a chunk was expected");
        string message = await SocketIo.ReceiveMessageAsync(socket, frame.Length, cancellationToken).ConfigureAwait(false);
        return tracker.ErrorReply(message, frame.Kind == SlotFrameKind.SourceLost);
    }
}
