using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using BlitzScale.Native.Cuda;
using BlitzScale.Native.Cuda.Ipc;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Native.Tests.Cuda;
using BlitzScale.Native.Transport;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Native.Tests;

/// <summary>
/// The CUDA IPC transport against hostile peers, on the emulator in one process (a handle cannot be opened by the
/// process that exported it, so the whole transfer runs in tools/DeviceCheck's two-process check instead): its server
/// announces chunk MACs and follows every chunk frame with the tag of the frame and the device's bytes, numbered in
/// order; it refuses a peer without the secret and cuts one that breaks the protocol, both reported as every blob
/// server reports them; its client refuses a server that sends no chunk MACs, and loses a peer that stalls.
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
        for (int i = 0; i < plan.EndOf(0); i++)
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

    [SkippableFact]
    public async Task Its_client_loses_a_peer_that_sends_its_handle_then_nothing_once_the_idle_timeout_passes()
    {
        // The handle must come from another process: tools/DeviceCheck serves a synthetic image through a
        // CudaIpcBlobServer, and a relay here passes that server's handle frame on to the client, then stalls.
        string program = DeviceCheckProgram.Require();
        using var model = new TempDirectory();
        SyntheticModelWriter.Write(model.Path, SyntheticShapes.Get("tiny"), DType.F32, seed: 9);
        using var directory = ModelDirectory.Open(model.Path);
        var layout = directory.Layout;
        using var peer = ServingPeer.Start(program, model.Path, _sockets.FullName);
        string upstream = peer.WaitReady();

        string path = Path.Combine(_sockets.FullName, "stalling.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var relay = Task.Run(async () =>
        {
            using var client = await listener.AcceptAsync();
            await ClusterAuth.AcceptAsync(client, Secret, WireFormat.ChunkMacFlag, _ => { }, CancellationToken.None);
            var request = new byte[WireFormat.HeaderBytes];
            await SocketIo.ReceiveExactlyAsync(client, request, CancellationToken.None);
            await SocketIo.ReceiveExactlyAsync(client, new byte[RequestHeader.Read(request)!.Value.ModelIdBytes], CancellationToken.None);
            using var server = await ConnectAsync(upstream);
            await ClusterAuth.AuthenticateAsync(server, Secret, upstream, ServingPeer.Model, CancellationToken.None);
            await SocketIo.SendAllAsync(server, RangeFrame(layout, ServingPeer.Model, layout.Blobs.Count, TransferRequest.DefaultChunkBytes), CancellationToken.None);
            var handle = new byte[CudaIpcWire.HandleFrameBytes];
            await SocketIo.ReceiveExactlyAsync(server, handle, CancellationToken.None);
            await SocketIo.SendAllAsync(client, handle, CancellationToken.None);
            await stalled.Task;
        });
        using var device = _context.Allocate(layout.TotalBytes);
        using var target = ParameterImage.Allocate(layout);
        using var transport = new CudaIpcBlobTransport(Secret, _context, device, new CudaIpcTransportOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) });

        var error = await Assert.ThrowsAsync<SourceLostException>(() =>
            transport.TransferAsync(path, new TransferRequest(Model, 0, layout.Blobs.Count), new ImageSink(target)).WaitAsync(Bound));
        stalled.SetResult();
        await relay.WaitAsync(Bound);

        Assert.Contains("it sent nothing for 0.3 s", error.Message);
        Assert.Equal((path, 0), (error.Peer, error.BlobsLanded));
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

    private static byte[] RangeFrame(ImageLayout layout, string model = Model, int endBlob = 1, int chunkBytes = ChunkBytes)
    {
        var name = Encoding.UTF8.GetBytes(model);
        var frame = new byte[WireFormat.HeaderBytes + name.Length];
        RequestHeader.Range(0, endBlob, layout.TotalBytes, chunkBytes, name.Length).Write(frame);
        name.CopyTo(frame, WireFormat.HeaderBytes);
        return frame;
    }

    /// <summary>tools/DeviceCheck serving a model's image over CUDA IPC on the emulator, until disposed (its stdin closes).</summary>
    private sealed class ServingPeer(Process process) : IDisposable
    {
        /// <summary>The model id DeviceCheck serves its image under.</summary>
        public const string Model = "devicecheck-ipc";

        public static ServingPeer Start(string program, string model, string sockets)
        {
            var start = new ProcessStartInfo("dotnet", [program, "--serve-ipc", model, sockets])
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false,
            };
            start.Environment["LD_PRELOAD"] = string.Join(':', EmulatorSetup.Libraries.Select(l => Path.Combine(EmulatorSetup.Directory, l)));
            start.Environment["BLITZSCALE_DEVICECHECK_IPC_SECRET"] = Convert.ToHexString(Secret);
            return new ServingPeer(Process.Start(start)!);
        }

        /// <summary>The server's socket path, once it serves.</summary>
        public string WaitReady()
        {
            string? line = process.StandardOutput.ReadLine();
            Assert.True(line?.StartsWith("ready ", StringComparison.Ordinal), $"DeviceCheck said \"{line}\" instead of \"ready ADDRESS\"");
            return line!["ready ".Length..];
        }

        public void Dispose()
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30))) process.Kill(entireProcessTree: true);
            process.Dispose();
        }
    }
}
