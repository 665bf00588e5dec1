using System.Net.Sockets;
using System.Text;
using BlitzScale.Native.Cuda;
using BlitzScale.Native.Cuda.Ipc;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Tests.Fuzzing;
using BlitzScale.Native.Transport;
using CsCheck;

namespace BlitzScale.Native.Tests;

/// <summary>
/// The CUDA IPC server on generated hostile bytes (fixed seed), on the CUDA emulator in one process: fed garbage
/// handshakes, or garbage range requests after a valid handshake, it closes each such connection, counts it, never
/// faults, and then still answers a valid peer with its image's handle and every chunk's frame under a good MAC (a
/// whole transfer needs a second process: tools/DeviceCheck's <c>ipc_same_host</c> check). Its client is not fuzzed
/// here: a handle can only be opened from another process, so a liar would have to relay one from DeviceCheck.
/// </summary>
[Collection(nameof(WholeProcessFuzzing))]
public sealed class CudaIpcFuzzTests : IDisposable
{
    private const string Model = "ipc-fuzz";
    private const int ChunkBytes = TransferRequest.MinChunkBytes;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly byte[] Secret = "cuda-ipc-fuzz-test-secret-012345"u8.ToArray();
    private readonly DirectoryInfo _sockets = Directory.CreateTempSubdirectory("blitz-ipc-fuzz-");
    private readonly CudaContext _context = CudaContext.Open();

    [Fact]
    public async Task A_server_fed_garbage_handshakes_and_requests_closes_them_never_faults_and_keeps_serving()
    {
        var layout = SingleBlobImage.Layout(3 * ChunkBytes - 1000);
        var bytes = new byte[layout.TotalBytes];
        new Random(91).NextBytes(bytes);
        using var image = _context.Allocate(layout.TotalBytes);
        image.CopyFrom(bytes);
        await using var server = CudaIpcBlobServer.Start(_sockets.FullName, "gpu0", Secret, _context);
        server.Register(Model, layout, image);
        var faults = new List<Exception>();
        server.ConnectionFaulted += e => { lock (faults) faults.Add(e); };

        var handshakes = Mutations.Bytes(new byte[WireFormat.AnswerBytes]);
        var requests = Mutations.Bytes(RangeFrame(layout));
        var cases = Gen.Int[0, 1].SelectMany(part => (part == 0 ? handshakes : requests).Select(b => (part, b)));
        await Fuzz.RunAsync(cases, 80, seed: 92, (c, _) => SendAndDrainAsync(server.Address, c.part == 1, c.b), _ => false, c => $"part {c.part}: {Fuzz.Hex(c.b)}");

        await AssertServesAsync(server.Address, layout, bytes);
        lock (faults) Assert.Empty(faults.Select(e => e.ToString()));
        Assert.Equal(0, server.FaultedConnections);
        Assert.True(server.RefusedConnections > 0, "no garbage handshake was refused");
        Assert.True(server.CutConnections > 0, "no garbage request was cut");
    }

    public void Dispose()
    {
        _context.Dispose();
        _sockets.Delete(recursive: true);
    }

    /// <summary>A valid peer gets the handle frame, then each chunk's frame and tag, which check out under the session key.</summary>
    private static async Task AssertServesAsync(string address, ImageLayout layout, byte[] bytes)
    {
        using var peer = await ConnectAsync(address);
        var session = await ClusterAuth.AuthenticateAsync(peer, Secret, address, Model, CancellationToken.None).AsTask().WaitAsync(Bound);
        await SocketIo.SendAllAsync(peer, RangeFrame(layout), CancellationToken.None).AsTask().WaitAsync(Bound);
        var handle = new byte[CudaIpcWire.HandleFrameBytes];
        Assert.True(await SocketIo.ReceiveExactlyAsync(peer, handle, CancellationToken.None).AsTask().WaitAsync(Bound));
        Assert.True(CudaIpcWire.TryReadHandle(handle, out long allocationBytes, out _, out _));
        Assert.Equal(layout.TotalBytes, allocationBytes);
        using var mac = new ChunkMac(session.SessionKey);
        var header = new byte[WireFormat.HeaderBytes];
        var tag = new byte[ChunkMac.TagBytes];
        var plan = new ChunkPlan(layout, 0, 1, ChunkBytes);
        for (int i = 0; i < plan.EndOf(0); i++)
        {
            var chunk = plan.Get(0, i);
            Assert.True(await SocketIo.ReceiveExactlyAsync(peer, header, CancellationToken.None).AsTask().WaitAsync(Bound));
            Assert.True(await SocketIo.ReceiveExactlyAsync(peer, tag, CancellationToken.None).AsTask().WaitAsync(Bound));
            Assert.True(mac.Verify(header, bytes.AsSpan((int)chunk.OffsetInBlob, chunk.Length), tag), $"chunk {i}'s MAC does not check out");
        }
    }

    /// <summary>
    /// One hostile peer: garbage for its answer, or (<paramref name="authenticate"/>) it proves the secret and sends
    /// garbage for its range request; then it reads until the server closes: it must, whatever it was sent.
    /// </summary>
    private static async Task SendAndDrainAsync(string address, bool authenticate, byte[] bytes)
    {
        using var peer = await ConnectAsync(address);
        try
        {
            if (authenticate) await ClusterAuth.AuthenticateAsync(peer, Secret, address, Model, CancellationToken.None);
            else await SocketIo.ReceiveExactlyAsync(peer, new byte[WireFormat.HelloBytes], CancellationToken.None);
            await SocketIo.SendAllAsync(peer, bytes, CancellationToken.None);
            peer.Shutdown(SocketShutdown.Send);
            var sink = new byte[64 << 10];
            while (await peer.ReceiveAsync(sink, SocketFlags.None) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // Reset by the server: closed all the same.
        }
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
