using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;
using BlitzScale.Native.Transport.Rdma.Verbs;

namespace BlitzScale.Native.Transport.Rdma;

/// <summary>
/// Fetches blobs from an <see cref="RdmaBlobServer"/> over RDMA: per transfer, a TCP side channel (handshake, queue-pair
/// exchange, chunk hashes, refetch requests) and a reliable-connected queue pair; the target's memory for the range is
/// registered with the NIC and the server's NIC writes each chunk straight into it (zero-copy), announcing it with the
/// chunk's index as the write's immediate. Protocol: see <c>RdmaWire.cs</c>.
/// </summary>
public sealed class RdmaBlobTransport : IBlobTransport, IDisposable
{
    private readonly byte[] _secret;
    private readonly RdmaTransportOptions _options;
    private readonly IRdmaNic _nic;

    /// <summary>Opens the RDMA device and creates a transport that authenticates with <paramref name="clusterSecret"/> (copied).</summary>
    /// <exception cref="RdmaUnavailableException">RDMA cannot be used on this machine (or that device port); the message says why.</exception>
    /// <exception cref="RdmaException">Opening the device failed.</exception>
    /// <exception cref="ArgumentException">The secret is shorter than 16 bytes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public RdmaBlobTransport(byte[] clusterSecret, RdmaTransportOptions? options = null)
        : this(clusterSecret, options, nic: null)
    {
    }

    /// <summary>Runs over a NIC the caller opened; the transport owns it from here.</summary>
    internal RdmaBlobTransport(byte[] clusterSecret, RdmaTransportOptions? options, IRdmaNic? nic)
    {
        _secret = ClusterAuth.CopySecret(clusterSecret, nameof(clusterSecret));
        _options = options ?? new RdmaTransportOptions();
        _options.Validate();
        _nic = nic ?? VerbsNic.Open(_options.Device, _options.Port, _options.GidIndex);
    }

    /// <summary>The device port transfers run over, e.g. <c>mlx5_0 port 1</c>.</summary>
    public string Device => _nic.Name;

    /// <inheritdoc/>
    /// <remarks>
    /// <paramref name="peer"/> is the server's side-channel <c>host:port</c> (<see cref="RdmaBlobServer.Address"/>).
    /// <paramref name="target"/> must hold the range as one native image (an <see cref="ImageSink"/>): its memory is
    /// registered for the peer's NIC to write into.
    /// </remarks>
    public async Task<TransferResult> TransferAsync(
        string peer,
        TransferRequest request,
        IBlobSink target,
        IProgress<int>? blobReady = null,
        CancellationToken cancellationToken = default)
    {
        var tracker = new TransferTracker(peer, request, target, blobReady);
        var endPoint = PeerAddress.Parse(peer);
        var (address, imageOffset, length) = ImageRegion.Of(target, tracker.Plan, peer);
        return await TransferRun.RunAsync(tracker, "the side channel", async () =>
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            IRdmaRegion? region = null;
            IRdmaQueuePair? queuePair = null;
            ChunkMac? mac = null;
            Task reading = Task.CompletedTask;
            try
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                region = _nic.Register(address, length, remoteWrite: true);
                queuePair = _nic.CreateQueuePair(sendDepth: 1, _options.ReceiveDepth);
                for (int r = 0; r < _options.ReceiveDepth; r++) queuePair.PostReceive((ulong)r);
                var session = await ConnectAsync(socket, endPoint, tracker, RdmaConnectionInfo.Of(queuePair, _nic.Address, region, imageOffset), queuePair, cancellationToken).ConfigureAwait(false);
                mac = session.ChunksAuthenticated ? new ChunkMac(session.SessionKey) : null;

                var headers = Channel.CreateUnbounded<ChunkAnnouncement>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
                reading = SideChannel.ReadHeadersAsync(socket, tracker.Plan, mac is not null, headers.Writer, stop.Token);
                // A peer that proved the secret and then stalls must not hold the load forever: every write and header restarts the clock.
                await IdleWatch.RunAsync(tracker, _options.IdleTimeout,
                    idle => ReceiveAsync(socket, queuePair, headers.Reader, mac, tracker, idle), cancellationToken).ConfigureAwait(false);
                var result = tracker.Result();
                SocketIo.ShutdownQuietly(socket);
                return result;
            }
            finally
            {
                await stop.CancelAsync().ConfigureAwait(false);
                await reading.ConfigureAwait(false);
                // The queue pair first: once it is destroyed the peer's NIC can write into the target no more.
                queuePair?.Dispose();
                region?.Dispose();
                mac?.Dispose();
            }
        },
        // A verb failing here is this node's NIC or setup, not the source: another source would fail the same way.
        e => e is RdmaException r ? new TransferException(peer, request.ModelId, $"RDMA on {_nic.Name} failed while fetching from {peer}: {r.Message}", r) : null).ConfigureAwait(false);
    }

    /// <summary>Closes the device; transfers must have ended.</summary>
    public void Dispose() => _nic.Dispose();

    /// <summary>
    /// Side channel, handshake, request, queue-pair exchange; on return the queue pair is RTS and the server may write.
    /// A server that announces no chunk MACs is refused before the request when this node requires them.
    /// </summary>
    private async Task<ClientSession> ConnectAsync(Socket socket, System.Net.EndPoint endPoint, TransferTracker tracker, RdmaConnectionInfo ours, IRdmaQueuePair queuePair, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        var request = tracker.Request;
        try
        {
            await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            var session = await ClusterAuth.AuthenticateAsync(socket, _secret, tracker.Peer, request.ModelId, timeout.Token).ConfigureAwait(false);
            session.Check(tracker, _options.RequireChunkAuthentication);

            var frame = tracker.RangeFrame(RdmaConnectionInfo.Bytes);
            ours.Write(frame.AsSpan(frame.Length - RdmaConnectionInfo.Bytes));
            await SocketIo.SendAllAsync(socket, frame, timeout.Token).ConfigureAwait(false);

            var reply = new byte[RdmaConnectionInfo.Bytes];
            if (!await SocketIo.ReceiveExactlyAsync(socket, reply.AsMemory(0, WireFormat.HeaderBytes), timeout.Token).ConfigureAwait(false))
                throw tracker.Lost("it closed the side channel before answering the request");
            if (ReplyHeader.Read(reply) is { } refusal)
                throw await SideChannel.ReadErrorAsync(socket, refusal, tracker, timeout.Token).ConfigureAwait(false);
            if (!await SocketIo.ReceiveExactlyAsync(socket, reply.AsMemory(WireFormat.HeaderBytes), timeout.Token).ConfigureAwait(false))
                throw tracker.Lost("it closed the side channel in the middle of its connection info");
            var theirs = RdmaConnectionInfo.Read(reply, out string? problem)
                ?? throw new TransferException(tracker.Peer, request.ModelId, $"peer {tracker.Peer} sent RDMA connection info this node cannot use: {problem}");
            queuePair.Connect(theirs);

            var ready = new byte[RdmaWire.ReadyBytes];
            BinaryPrimitives.WriteUInt32LittleEndian(ready, RdmaWire.ReadyMagic);
            await SocketIo.SendAllAsync(socket, ready, timeout.Token).ConfigureAwait(false);
            return session;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw tracker.Lost($"it did not connect, authenticate and exchange queue pairs within {_options.ConnectTimeout.TotalSeconds:0.#} s", e);
        }
    }

    /// <summary>
    /// Polls the completion queue for placed chunks and drains the headers the side channel delivered, checks each
    /// chunk (hash, and MAC when the server sends them) once both are in, and asks again for the ones that fail; until
    /// every chunk has landed.
    /// </summary>
    private static async Task ReceiveAsync(Socket socket, IRdmaQueuePair queuePair, ChannelReader<ChunkAnnouncement> headers, ChunkMac? mac, TransferTracker tracker, IdleWatch idle)
    {
        var cancellationToken = idle.Token;
        var ledger = new ChunkLedger(tracker.Plan);
        var completions = new RdmaCompletion[16];
        var refetch = GC.AllocateUninitializedArray<byte>(WireFormat.HeaderBytes, pinned: true);
        var header = new byte[WireFormat.HeaderBytes];
        var backoff = default(PollBackoff);
        while (tracker.Remaining > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool progress = false;
            int n = queuePair.Poll(completions);
            for (int i = 0; i < n; i++)
            {
                var completion = completions[i];
                if (!completion.Succeeded)
                    throw tracker.Lost($"the RDMA connection failed (completion status {completion.Status})");
                if (completion.Kind != RdmaCompletionKind.WriteReceived) continue;
                Check(ledger.Placed(completion.Immediate), "an RDMA write", (int)completion.Immediate, tracker);
                queuePair.PostReceive(completion.WorkRequestId);
                progress = true;
            }
            while (headers.TryRead(out var announced))
            {
                Check(ledger.Announced(announced), "a chunk header", announced.Index, tracker);
                progress = true;
            }
            while (ledger.TryTakeReady(out var chunk, out var announcement))
            {
                // Checked per chunk, as the other transports do: no chunk lands after the caller cancelled.
                cancellationToken.ThrowIfCancellationRequested();
                int index = tracker.Plan.IndexOf(chunk);
                bool authentic = announcement.Authentic(mac, chunk, tracker.Landing(chunk).Span, header);
                if (tracker.Land(chunk, announcement.Hash, authentic))
                {
                    ledger.Landed(index);
                    continue;
                }
                ledger.Refetching(index);
                RequestHeader.Chunk(chunk).Write(refetch);
                await SocketIo.SendAllAsync(socket, refetch, cancellationToken).ConfigureAwait(false);
            }
            if (progress)
            {
                idle.Restart();
                backoff.Reset();
                continue;
            }
            if (headers.Completion.IsCompleted)
                throw SideChannel.Ended(headers.Completion, tracker);
            await backoff.IdleAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Check(LedgerEvent result, string what, int index, TransferTracker tracker)
    {
        if (result is LedgerEvent.Waiting or LedgerEvent.Ready) return;
        throw new TransferException(tracker.Peer, tracker.Request.ModelId,
            $"peer {tracker.Peer} sent {what} for chunk {index} of model \"{tracker.Request.ModelId}\", which " +
            (result == LedgerEvent.Unknown ? $"is not in the request ({tracker.Plan.Count} chunks)" : "had already arrived"));
    }
}
