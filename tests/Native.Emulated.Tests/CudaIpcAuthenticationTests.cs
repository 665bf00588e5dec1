using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using BlitzScale.Native.Cuda;
using BlitzScale.Native.Cuda.Ipc;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;

namespace BlitzScale.Native.Tests;

/// <summary>
/// The CUDA IPC transport against hostile peers, on the emulator in one process (a handle cannot be opened by the
/// process that exported it, so the whole transfer runs in tools/DeviceCheck's two-process check instead): its server
/// announces chunk MACs and follows every chunk frame with the tag of the frame and the device's bytes, numbered in
/// order; it refuses a peer without the secret and cuts one that breaks the protocol, both reported as every blob
/// server reports them; its client refuses a server that sends no chunk MACs.
/// </summary>
public sealed class CudaIpcAuthenticationTests : IDisposable
{
    private const string Model = "ipc-auth";
    private const int ChunkBytes = TransferRequest.MinChunkBytes;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly byte[] Secret = "cuda-ipc-auth-test-secret-012345"u8.ToArray();
    private readonly DirectoryInfo _sockets = Directory.CreateTempSubdirectory("blitz-ipc-auth-");
    private readonly CudaContext _context = CudaContext.Open();

    [Fact]
    public async Task The_server_follows_every_chunk_frame_with_the_MAC_of_the_frame_and_the_device_bytes_in_order()
    {
        var layout = SingleBlobImage.Layout(3 * ChunkBytes - 1000);
        var bytes = new byte[layout.TotalBytes];
        new Random(7).NextBytes(bytes);
        using var image = _context.Allocate(layout.TotalBytes);
        image.CopyFrom(bytes);
        await using var server = CudaIpcBlobServer.Start(_sockets.FullName, "gpu0", Secret, _context);
        server.Register(Model, layout, image);

        using var peer = await ConnectAsync(server.Address);
        var session = await ClusterAuth.AuthenticateAsync(peer, Secret, server.Address, Model, CancellationToken.None).AsTask().WaitAsync(Bound);
        await SocketIo.SendAllAsync(peer, RangeFrame(layout), CancellationToken.None).AsTask().WaitAsync(Bound);
        Assert.True(await SocketIo.ReceiveExactlyAsync(peer, new byte[CudaIpcWire.HandleFrameBytes], CancellationToken.None).AsTask().WaitAsync(Bound));

        Assert.True(session.ChunksAuthenticated);
        using var mac = new ChunkMac(session.SessionKey);
        var header = new byte[WireFormat.HeaderBytes];
        var tag = new byte[ChunkMac.TagBytes];
        var plan = new ChunkPlan(layout, 0, 1, ChunkBytes);
        for (int i = 0; i < plan.ChunksOf(0); i++)
        {
            var chunk = plan.Get(0, i);
            Assert.True(await SocketIo.ReceiveExactlyAsync(peer, header, CancellationToken.None).AsTask().WaitAsync(Bound));
            Assert.True(await SocketIo.ReceiveExactlyAsync(peer, tag, CancellationToken.None).AsTask().WaitAsync(Bound));
            var sent = bytes.AsSpan((int)chunk.OffsetInBlob, chunk.Length);
            Assert.Equal(new ReplyHeader(ReplyKind.Chunk, 0, chunk.Length, chunk.OffsetInBlob, ChunkHash.Of(sent)), ReplyHeader.Read(header));
            Assert.False(mac.Verify((ulong)i + 1, header, sent, tag));
            Assert.True(mac.Verify((ulong)i, header, sent, tag));
            sent[0] ^= 1;
            Assert.False(mac.Verify((ulong)i, header, sent, tag));
        }
    }

    [Fact]
    public async Task A_peer_without_the_secret_is_refused_and_one_that_breaks_the_protocol_is_cut_both_reported()
    {
        await using var server = CudaIpcBlobServer.Start(_sockets.FullName, "gpu0", Secret, _context);
        var rejections = new List<PeerRejection>();
        var both = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.PeerRejected += r =>
        {
            lock (rejections)
            {
                rejections.Add(r);
                if (rejections.Count == 2) both.TrySetResult();
            }
        };
        byte[] wrong = [.. Secret];
        wrong[^1] ^= 1;

        using (var stranger = await ConnectAsync(server.Address))
        {
            await Assert.ThrowsAsync<PeerRefusedException>(() =>
                ClusterAuth.AuthenticateAsync(stranger, wrong, server.Address, Model, CancellationToken.None).AsTask().WaitAsync(Bound));
        }
        using (var breaker = await ConnectAsync(server.Address))
        {
            await ClusterAuth.AuthenticateAsync(breaker, Secret, server.Address, Model, CancellationToken.None).AsTask().WaitAsync(Bound);
            var garbage = new byte[WireFormat.HeaderBytes];
            new Random(8).NextBytes(garbage);
            await SocketIo.SendAllAsync(breaker, garbage, CancellationToken.None).AsTask().WaitAsync(Bound);
            await both.Task.WaitAsync(Bound);
        }

        lock (rejections)
        {
            Assert.Equal([PeerRejectionKind.Refused, PeerRejectionKind.ProtocolViolation], rejections.Select(r => r.Kind));
            Assert.All(rejections, r => Assert.Equal($"a local process on {server.Address}", r.Peer));
            Assert.Equal("its answer to the challenge does not prove the cluster secret", rejections[0].Reason);
            Assert.Contains("range request", rejections[1].Reason);
        }
        Assert.Equal((1, 1), (server.RefusedConnections, server.CutConnections));
    }

    [Fact]
    public async Task Its_client_refuses_a_server_that_sends_no_chunk_MACs_before_asking_for_anything()
    {
        string path = Path.Combine(_sockets.FullName, "plain.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var asked = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync();
            await ClusterAuth.AcceptAsync(peer, Secret, flags: 0, _ => { }, CancellationToken.None);
            try
            {
                return await SocketIo.ReceiveExactlyAsync(peer, new byte[WireFormat.HeaderBytes], CancellationToken.None);
            }
            catch (SocketException)
            {
                return false;
            }
        });
        var layout = SingleBlobImage.Layout(ChunkBytes);
        using var device = _context.Allocate(layout.TotalBytes);
        using var target = ParameterImage.Allocate(layout);
        using var client = new CudaIpcBlobTransport(Secret, _context, device);

        var error = await Assert.ThrowsAsync<TransferException>(() =>
            client.TransferAsync(path, new TransferRequest(Model, 0, 1, ChunkBytes), new ImageSink(target)).WaitAsync(Bound));

        Assert.Contains($"peer {path} does not authenticate its chunks", error.Message);
        Assert.False(await asked.WaitAsync(Bound), "the client sent its request to a server that sends no chunk MACs");
    }

    public void Dispose()
    {
        _context.Dispose();
        _sockets.Delete(recursive: true);
    }

    private static async Task<Socket> ConnectAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    private static byte[] RangeFrame(ImageLayout layout)
    {
        var name = Encoding.UTF8.GetBytes(Model);
        var frame = new byte[WireFormat.HeaderBytes + name.Length];
        RequestHeader.Range(0, 1, layout.TotalBytes, ChunkBytes, name.Length).Write(frame);
        name.CopyTo(frame, WireFormat.HeaderBytes);
        return frame;
    }
}
