using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Tests.Transport;
using BlitzScale.Native.Transport;
using BlitzScale.Native.Transport.SharedMemory;
using CsCheck;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Fuzzing;

/// <summary>
/// The shared-memory blob protocol on generated hostile bytes (fixed seeds), from both ends, as
/// <see cref="WireFormatFuzzTests"/> does for TCP. A server fed garbage handshakes, range requests and slot releases
/// closes each such connection, counts it, never faults, leaves no ring behind and still serves a real transfer; a
/// client fed garbage ring frames, chunk frames and MAC tags (from a peer that proved the secret and staged a real
/// ring) fails with a <see cref="TransferException"/> or an <see cref="AuthenticationException"/> in bounded time and
/// memory, and marks no blob loaded that it did not verify.
/// </summary>
[Collection(nameof(WholeProcessFuzzing))]
public sealed class SharedMemoryFuzzTests : IDisposable
{
    private const string RingName = "liar.ring";
    private const int Slots = 2;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly SharedMemoryDirectory _directory = new();

    [Fact]
    public async Task A_server_fed_garbage_handshakes_requests_and_releases_cuts_them_never_faults_and_keeps_serving()
    {
        using var source = Random(Layout(), seed: 61);
        await using var server = SharedMemoryBlobServer.Start(_directory.Path, "gpu0", Secret,
            new SharedMemoryServerOptions { Slots = Slots, AuthenticationTimeout = TimeSpan.FromSeconds(2) });
        server.Register(Model, new ImageSink(source));
        var faults = new List<Exception>();
        server.ConnectionFaulted += e => { lock (faults) faults.Add(e); };

        var handshakes = Mutations.Bytes(new byte[WireFormat.AnswerBytes]);
        var requests = Mutations.Bytes(RangeFrame(source.Layout));
        var releases = Mutations.Bytes(Releases());
        // Each case: which part of the protocol is garbage (0 handshake, 1 range request, 2 slot releases) and the bytes.
        var cases = Gen.Int[0, 2].SelectMany(part => (part switch { 0 => handshakes, 1 => requests, _ => releases }).Select(bytes => (part, bytes)));
        await Fuzz.RunAsync(cases, 90, seed: 62, (c, _) => SendAndDrainAsync(server, c.part, c.bytes), _ => false, c => $"part {c.part}: {Fuzz.Hex(c.bytes)}");

        using var target = ParameterImage.Allocate(source.Layout);
        await new SharedMemoryBlobTransport(Secret).TransferAsync(server.Address, Whole(source.Layout), new ImageSink(target)).WaitAsync(Bound);
        AssertIdentical(source, target);
        lock (faults) Assert.Empty(faults.Select(e => e.ToString()));
        Assert.Equal(0, server.FaultedConnections);
        Assert.True(server.RefusedConnections > 0, "no garbage handshake was refused");
        Assert.True(server.CutConnections > 0, "no garbage request or release was cut");
        Assert.Equal(["gpu0.sock"], _directory.Files);
    }

    [Fact]
    public async Task A_client_fed_garbage_ring_and_chunk_frames_fails_clearly_in_bounded_time_and_memory()
    {
        var layout = Layout();
        // Even cases: a server without chunk MACs (the bytes are the same on every run, so a failure can be kept in
        // the corpus as they are); odd cases: one with them, the tags signed under the case's session key, then edited.
        await Fuzz.RunAsync(Mutations.Edits, 120, seed: 63, (edit, i) => FetchFromLiarAsync(_directory.Path, layout, edit, macs: i % 2 == 1),
            IsDocumented, _ => "(the edits are drawn from the seed; run the case to see its bytes)");

        // Unaltered, with and without MACs, the same frames land two chunks, then the peer's error reply ends the transfer with its message.
        foreach (bool macs in new[] { false, true })
        {
            Assert.Null(await Fuzz.CheckAsync(() => FetchFromLiarAsync(_directory.Path, layout, bytes => bytes, macs),
                e => e is TransferException && e.Message.Contains(": no more", StringComparison.Ordinal)));
        }
    }

    /// <summary>What the client may throw at hostile replies.</summary>
    public static bool IsDocumented(Exception e) => e is TransferException or AuthenticationException;

    /// <summary>
    /// Fetches the tiny image from a liar that proves the secret, stages a ring of two slots holding the first two
    /// chunks of blob 0, and sends the valid replies for them (with MAC tags when <paramref name="macs"/>), edited by
    /// <paramref name="edit"/>, then closes.
    /// </summary>
    internal static async Task FetchFromLiarAsync(string directory, ImageLayout layout, Func<byte[], byte[]> edit, bool macs)
    {
        string path = UnixSocketPath.For(directory, "liar");
        using var listener = UnixSocketPath.Listen(path, 1);
        var plan = new ChunkPlan(layout, 0, layout.Blobs.Count, SmallChunk);
        var payloads = Enumerable.Range(0, Slots).Select(i => Payload(plan.Get(0, i), seed: 64 + i)).ToArray();
        var liar = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync();
            var key = await ClusterAuth.AcceptAsync(peer, Secret, macs ? WireFormat.ChunkMacFlag : (ushort)0, _ => { }, CancellationToken.None);
            if (key is null) return;
            var request = new byte[WireFormat.HeaderBytes];
            if (!await SocketIo.ReceiveExactlyAsync(peer, request, CancellationToken.None)) return;
            await SocketIo.ReceiveExactlyAsync(peer, new byte[RequestHeader.Read(request)!.Value.ModelIdBytes], CancellationToken.None);
            using var ring = StagingRing.Create(Path.Combine(directory, RingName), Slots, SmallChunk);
            for (int s = 0; s < Slots; s++) payloads[s].CopyTo(ring.Slot(s, payloads[s].Length));
            await SocketIo.SendAllAsync(peer, edit(Replies(plan, payloads, macs ? key : null)), CancellationToken.None);
            peer.Shutdown(SocketShutdown.Send);
            // Its releases, until the client hangs up.
            var sink = new byte[SharedMemoryWire.ReleaseBytes];
            while (await peer.ReceiveAsync(sink, SocketFlags.None) > 0)
            {
            }
        });
        using var target = ParameterImage.Allocate(layout);
        var client = new SharedMemoryBlobTransport(Secret, new SharedMemoryTransportOptions { RequireChunkAuthentication = macs });
        try
        {
            await client.TransferAsync(path, Whole(layout), new ImageSink(target));
        }
        finally
        {
            try
            {
                await liar.WaitAsync(Bound);
            }
            catch (SocketException)
            {
                // The client hung up first.
            }
            File.Delete(Path.Combine(directory, RingName));
            File.Delete(path);
            // Blob 0 is several chunks: the two staged may land but cannot mark it, and nothing else may be marked.
            for (int b = 0; b < layout.Blobs.Count; b++) Assert.False(target.IsLoaded(b), $"blob {b} is marked loaded");
        }
    }

    public void Dispose() => _directory.Dispose();

    private static byte[] Payload(ChunkRef chunk, int seed)
    {
        var bytes = new byte[chunk.Length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The ring frame and its name, a frame (and tag) per staged chunk, then an error reply.</summary>
    private static byte[] Replies(ChunkPlan plan, byte[][] payloads, byte[]? sessionKey)
    {
        using var mac = sessionKey is null ? null : new ChunkMac(sessionKey);
        var name = Encoding.UTF8.GetBytes(RingName);
        var stream = new List<byte>();
        var frame = new byte[SharedMemoryWire.FrameBytes];
        SlotFrame.Ring(Slots, SmallChunk, name.Length).Write(frame);
        stream.AddRange(frame);
        stream.AddRange(name);
        for (int s = 0; s < payloads.Length; s++)
        {
            SlotFrame.Chunk(s, plan.Get(0, s), ChunkHash.Of(payloads[s])).Write(frame);
            stream.AddRange(frame);
            if (mac is null) continue;
            var tag = new byte[ChunkMac.TagBytes];
            mac.Sign(frame, payloads[s], tag);
            stream.AddRange(tag);
        }
        var error = Encoding.UTF8.GetBytes("no more");
        SlotFrame.Message(SlotFrameKind.Error, error.Length).Write(frame);
        stream.AddRange(frame);
        stream.AddRange(error);
        return [.. stream];
    }

    private static byte[] RangeFrame(ImageLayout layout)
    {
        var modelId = Encoding.UTF8.GetBytes(Model);
        var frame = new byte[WireFormat.HeaderBytes + modelId.Length];
        RequestHeader.Range(0, layout.Blobs.Count, layout.TotalBytes, SmallChunk, modelId.Length).Write(frame);
        modelId.CopyTo(frame, WireFormat.HeaderBytes);
        return frame;
    }

    /// <summary>Releases of both slots, the second asking for its chunk again, then the first again.</summary>
    private static byte[] Releases()
    {
        var releases = new byte[3 * SharedMemoryWire.ReleaseBytes];
        new SlotRelease(0, Refetch: false).Write(releases);
        new SlotRelease(1, Refetch: true).Write(releases.AsSpan(SharedMemoryWire.ReleaseBytes));
        new SlotRelease(0, Refetch: false).Write(releases.AsSpan(2 * SharedMemoryWire.ReleaseBytes));
        return releases;
    }

    /// <summary>
    /// One hostile peer: garbage for its answer (part 0); or it proves the secret and sends garbage for its range
    /// request (part 1), or a valid range request, takes the ring frame and sends garbage releases (part 2). Then it
    /// reads until the server closes: it must, whatever it was sent.
    /// </summary>
    private static async Task SendAndDrainAsync(SharedMemoryBlobServer server, int part, byte[] bytes)
    {
        using var peer = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await peer.ConnectAsync(new UnixDomainSocketEndPoint(server.Address));
        try
        {
            if (part == 0)
            {
                await SocketIo.ReceiveExactlyAsync(peer, new byte[WireFormat.HelloBytes], CancellationToken.None);
            }
            else
            {
                await ClusterAuth.AuthenticateAsync(peer, Secret, server.Address, Model, CancellationToken.None);
            }
            if (part == 2)
            {
                await SocketIo.SendAllAsync(peer, RangeFrame(Layout()), CancellationToken.None);
                var ring = new byte[SharedMemoryWire.FrameBytes];
                await SocketIo.ReceiveExactlyAsync(peer, ring, CancellationToken.None);
                await SocketIo.ReceiveExactlyAsync(peer, new byte[SlotFrame.Read(ring)!.Value.Length], CancellationToken.None);
            }
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
}
