using System.Net.Sockets;
using BlitzScale.Native.Transport;
using BlitzScale.Native.Transport.SharedMemory;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// The shared-memory transport through every scenario of <see cref="ServerTransportConformance{THarness}"/>, and its
/// ring and socket-file specifics: server and client in one test process, talking only through the Unix socket and
/// the mapped ring file, which is exactly the path between two processes on a host.
/// </summary>
public sealed class SharedMemoryBlobTransportTests : ServerTransportConformance<SharedMemoryHarness>
{
    [Fact]
    public async Task A_two_slot_ring_reuses_its_slots_for_a_sub_range_in_chunks_that_divide_no_blob()
    {
        Harness.Slots = 2;

        var result = await SubRangeArrivesIntact(seed: 32);

        Assert.True(result.Chunks > 2 * 3, "more chunks than slots, so slots were reused");
    }

    [Fact]
    public async Task A_peer_that_releases_a_slot_it_was_never_sent_is_cut_reported_and_the_server_keeps_serving()
    {
        await using var served = ServedImage.Start(Harness, seed: 33);
        var closed = served.Peer.WhenAllConnectionsClosed();

        using (var peer = await Harness.ConnectAsync(served.Peer.Address).WaitAsync(Bound))
        {
            await ClusterAuth.AuthenticateAsync(peer, Secret, served.Peer.Address, Model, CancellationToken.None).AsTask().WaitAsync(Bound);
            var modelId = System.Text.Encoding.UTF8.GetBytes(Model);
            var range = new byte[WireFormat.HeaderBytes + modelId.Length];
            RequestHeader.Range(0, served.Layout.Blobs.Count, served.Layout.TotalBytes, SmallChunk, modelId.Length).Write(range);
            modelId.CopyTo(range, WireFormat.HeaderBytes);
            await SocketIo.SendAllAsync(peer, range, CancellationToken.None).AsTask().WaitAsync(Bound);
            var ring = new byte[SharedMemoryWire.FrameBytes];
            Assert.True(await SocketIo.ReceiveExactlyAsync(peer, ring, CancellationToken.None).AsTask().WaitAsync(Bound));
            var release = new byte[SharedMemoryWire.ReleaseBytes];
            new SlotRelease(999, Refetch: false).Write(release);
            await SocketIo.SendAllAsync(peer, release, CancellationToken.None).AsTask().WaitAsync(Bound);
            await closed.WaitAsync(Bound);
        }

        var rejection = Assert.Single(served.Peer.Rejections);
        Assert.Equal(PeerRejectionKind.ProtocolViolation, rejection.Kind);
        Assert.StartsWith("it released slot 999, which holds no chunk it was sent", rejection.Reason);
        Assert.Equal(1, served.Peer.CutConnections);
        Harness.AssertNothingLeftBehind();
        await Harness.Client().TransferAsync(served.Peer.Address, Whole(served.Layout), new ImageSink(served.Target)).WaitAsync(Bound);
        AssertIdentical(served.Source, served.Target);
    }

    [Fact]
    public async Task A_second_server_on_a_live_path_is_refused_and_a_stale_socket_file_is_replaced()
    {
        string directory = Harness.Directory.Path;
        await using (var first = SharedMemoryBlobServer.Start(directory, "gpu0", Secret))
        {
            var error = Assert.Throws<IOException>(() => SharedMemoryBlobServer.Start(directory, "gpu0", Secret));
            Assert.Contains($"already listens on {first.Address}", error.Message);
        }
        // A file where the socket was, as a crashed process leaves it.
        string stale = Path.Combine(directory, "gpu1.sock");
        await File.WriteAllBytesAsync(stale, []);

        await using var second = SharedMemoryBlobServer.Start(directory, "gpu1", Secret);

        Assert.Equal(stale, second.Address);
    }
}

/// <summary>
/// <see cref="SharedMemoryBlobServer"/>s named gpu0, gpu1, … in a fresh directory, and <see cref="SharedMemoryBlobTransport"/>
/// clients. Nothing is left behind when that directory holds only the sockets of the servers still running: no ring.
/// </summary>
public sealed class SharedMemoryHarness : TransportHarness
{
    private readonly List<string> _running = [];
    private int _started;

    internal SharedMemoryDirectory Directory { get; } = new();

    /// <summary>Ring slots of the servers started from here on (default: the server's default).</summary>
    public int Slots { get; set; } = SharedMemoryServerOptions.DefaultSlots;

    public override IBlobTransport Client(byte[]? secret = null) =>
        new SharedMemoryBlobTransport(secret ?? Secret, new SharedMemoryTransportOptions
        {
            RequireChunkAuthentication = ClientsRequireChunkMacs,
            IdleTimeout = ClientIdleTimeout ?? TcpTransportOptions.DefaultIdleTimeout,
        });

    public override ServedPeer Serve(IBlobSource source)
    {
        string name = $"gpu{Interlocked.Increment(ref _started) - 1}";
        var server = SharedMemoryBlobServer.Start(Directory.Path, name, Secret,
            new SharedMemoryServerOptions { Slots = Slots, AuthenticateChunks = ServersSendChunkMacs });
        server.Register(Model, source);
        server.CorruptOnSend = (blob, offset) => CorruptChunk?.Invoke(blob, offset) == true;
        server.ForgeOnSend = (blob, offset) => ForgeChunk?.Invoke(blob, offset) == true;
        string socket = $"{name}.sock";
        lock (_running) _running.Add(socket);
        return new ServerPeer(server, server.RetireAsync, async () =>
        {
            await server.DisposeAsync();
            lock (_running) _running.Remove(socket);
        });
    }

    public override string AbsentPeer => Path.Combine(Directory.Path, "nobody.sock");

    public override async Task<Socket> ConnectAsync(string peer)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(peer));
        return socket;
    }

    public override void AssertNothingLeftBehind()
    {
        lock (_running) Assert.Equal(_running.Order(), Directory.Files);
    }

    public override void Dispose() => Directory.Dispose();
}
