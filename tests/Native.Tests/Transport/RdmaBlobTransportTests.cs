using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using BlitzScale.Native.Transport;
using BlitzScale.Native.Transport.Rdma;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// The RDMA transport's protocol end to end, through every scenario of <see cref="ServerTransportConformance{THarness}"/>:
/// the real side channel over loopback TCP, the real server and client, and the queue pairs on the software fabric of
/// <see cref="RdmaLoopback"/>, which checks every write's keys and ranges.
/// </summary>
public sealed class RdmaBlobTransportTests : ServerTransportConformance<RdmaHarness>
{
    [Fact]
    public async Task A_failed_link_fails_the_transfer_with_SourceLost_naming_the_completion_status()
    {
        await using var filling = FillingTransfer.Start(Harness, seed: 56, heldBlobs: 1);

        await filling.Log.WhenReady(0);
        Harness.Fabric.Break();

        var error = await Assert.ThrowsAsync<SourceLostException>(() => filling.Transfer.WaitAsync(Bound));
        Assert.Equal(1, error.BlobsLanded);
        Assert.Contains("WorkRequestFlushed", error.Message);
    }

    [Theory]
    [InlineData(false, "its RDMA connection info is malformed: it is not RDMA connection info")]
    [InlineData(true, "it registered 1 bytes from image offset 0; blobs 0..")]
    public async Task A_peer_whose_connection_info_is_garbage_or_does_not_match_its_range_is_cut_and_reported(bool wellFormed, string reason)
    {
        await using var served = ServedImage.Start(Harness, seed: 57);
        var closed = served.Peer.WhenAllConnectionsClosed();

        using (var peer = await Harness.ConnectAsync(served.Peer.Address).WaitAsync(Bound))
        {
            await ClusterAuth.AuthenticateAsync(peer, Secret, served.Peer.Address, Model, CancellationToken.None).AsTask().WaitAsync(Bound);
            var modelId = System.Text.Encoding.UTF8.GetBytes(Model);
            var frame = new byte[WireFormat.HeaderBytes + modelId.Length + RdmaConnectionInfo.Bytes];
            RequestHeader.Range(0, served.Layout.Blobs.Count, served.Layout.TotalBytes, SmallChunk, modelId.Length).Write(frame);
            modelId.CopyTo(frame, WireFormat.HeaderBytes);
            var info = frame.AsSpan(WireFormat.HeaderBytes + modelId.Length);
            if (wellFormed) new RdmaConnectionInfo(0x100, 0, 1, Native.Transport.Rdma.Verbs.IbvMtu.Mtu4096, 0, 0x1000, 1, 0, 1).Write(info);
            else new Random(57).NextBytes(info);
            await SocketIo.SendAllAsync(peer, frame, CancellationToken.None).AsTask().WaitAsync(Bound);
            await closed.WaitAsync(Bound);
        }

        var rejection = Assert.Single(served.Peer.Rejections);
        Assert.Equal(PeerRejectionKind.ProtocolViolation, rejection.Kind);
        Assert.StartsWith(reason, rejection.Reason);
        Assert.Equal(1, served.Peer.CutConnections);
        Harness.AssertNothingLeftBehind();
    }
}

/// <summary>
/// <see cref="RdmaBlobServer"/>s on loopback and <see cref="RdmaBlobTransport"/> clients, their NICs on one
/// <see cref="RdmaLoopback"/> fabric. A chunk is corrupted by flipping a byte of its RDMA write, found by the write's
/// immediate (its index in the plan of the latest transfer a client of this harness started); a forged chunk is the
/// same flip, with the server's header carrying the hash of the flipped bytes. Nothing is left behind when no region is
/// registered and no queue pair exists.
/// </summary>
public sealed class RdmaHarness : TransportHarness
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);
    private ChunkPlan? _plan;
    private readonly RefusingPort _absent = new();
    // Chunks whose header went out forged: the fabric flips their next write, once each.
    private readonly ConcurrentDictionary<(int Blob, long Offset), bool> _forged = new();

    public RdmaHarness() => Fabric.CorruptWrite = immediate =>
        Volatile.Read(ref _plan) is { } plan && ChunkAt(plan, immediate) is var (blob, offset)
        && (_forged.TryRemove((blob, offset), out _) || CorruptChunk?.Invoke(blob, offset) == true);

    internal RdmaLoopback Fabric { get; } = new();

    public override IBlobTransport Client(byte[]? secret = null) =>
        new PlanRecorder(new RdmaBlobTransport(secret ?? Secret, new RdmaTransportOptions
        {
            ReceiveDepth = 8,
            RequireChunkAuthentication = ClientsRequireChunkMacs,
            IdleTimeout = ClientIdleTimeout ?? TcpTransportOptions.DefaultIdleTimeout,
        }, Fabric.OpenNic("client")), this);

    public override ServedPeer Serve(IBlobSource source)
    {
        var server = RdmaBlobServer.Start(Loopback, Secret, Fabric.OpenNic("server"),
            new RdmaServerOptions { SendDepth = 4, AuthenticateChunks = ServersSendChunkMacs });
        server.Register(Model, source);
        server.ForgeOnSend = (blob, offset) => ForgeChunk?.Invoke(blob, offset) == true && _forged.TryAdd((blob, offset), true);
        return new ServerPeer(server, server.RetireAsync);
    }

    public override async Task<Socket> ConnectAsync(string peer)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(PeerAddress.Parse(peer));
        return socket;
    }

    /// <summary>A side-channel port nothing listens on.</summary>
    public override string AbsentPeer => _absent.Address;

    public override void AssertNothingLeftBehind() => Assert.Equal((0, 0), (Fabric.OpenRegions, Fabric.OpenQueuePairs));

    public override void Dispose() => _absent.Dispose();

    private static (int Blob, long Offset) ChunkAt(ChunkPlan plan, uint immediate)
    {
        for (int blob = plan.FirstBlob; blob < plan.EndBlob; blob++)
        {
            for (int i = plan.StartOf(blob); i < plan.EndOf(blob); i++)
            {
                var chunk = plan.Get(blob, i);
                if (RdmaWire.Immediate(plan.IndexOf(chunk)) == immediate) return (chunk.Blob, chunk.OffsetInBlob);
            }
        }
        throw new InvalidOperationException($"immediate {immediate} names no chunk of the plan");
    }

    /// <summary>Records each transfer's plan for <see cref="ChunkAt"/>, then hands it to the RDMA client unchanged.</summary>
    private sealed class PlanRecorder(IBlobTransport client, RdmaHarness harness) : IBlobTransport
    {
        public Task<TransferResult> TransferAsync(
            string peer, TransferRequest request, IBlobSink target, IProgress<int>? blobReady = null, CancellationToken cancellationToken = default)
        {
            Volatile.Write(ref harness._plan, ChunkPlan.For(request, target.Layout));
            return client.TransferAsync(peer, request, target, blobReady, cancellationToken);
        }
    }
}
