using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Tests.Transport;
using BlitzScale.Native.Transport;
using BlitzScale.Native.Transport.Rdma;
using CsCheck;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Fuzzing;

/// <summary>
/// The RDMA protocol's side channel on generated hostile bytes (fixed seeds), from both ends, with the queue pairs on
/// the software fabric of <see cref="RdmaLoopback"/> (no RDMA hardware here: the fabric checks keys, ranges and
/// queue-pair states as a NIC would). A server fed garbage handshakes, or garbage range requests, connection info,
/// ready confirmations and refetches from a peer with a real queue pair and registered target, closes each such
/// connection, never faults, leaves no queue pair or region behind and still serves a real transfer; a client fed
/// garbage connection info, chunk headers and MAC tags (the liar's RDMA writes carrying the true bytes) fails with a
/// <see cref="TransferException"/> or an <see cref="AuthenticationException"/> in bounded time and memory, marks no
/// blob loaded that it did not verify and leaves nothing registered.
/// </summary>
[Collection(nameof(WholeProcessFuzzing))]
public sealed class RdmaFuzzTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly RdmaLoopback _fabric = new();

    [Fact]
    public async Task A_server_fed_garbage_handshakes_and_side_channel_frames_closes_them_never_faults_and_keeps_serving()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 71);
        await using var server = RdmaBlobServer.Start(Loopback, Secret, _fabric.OpenNic("server"),
            new RdmaServerOptions { SendDepth = 4, AuthenticationTimeout = TimeSpan.FromSeconds(2) });
        server.Register(Model, new ImageSink(source));
        var faults = new List<Exception>();
        server.ConnectionFaulted += e => { lock (faults) faults.Add(e); };
        using var target = ParameterImage.Allocate(layout);
        using var peerNic = _fabric.OpenNic("peer");

        // Each case: garbage for the answer (part 0), or garbage side-channel frames after a valid handshake (part 1,
        // edits of frames that hold this case's queue pair number, so drawn first and applied once it exists).
        var handshakes = Mutations.Bytes(new byte[WireFormat.AnswerBytes]).Select(bytes => (Func<byte[], byte[]>)(_ => bytes));
        var cases = Gen.Int[0, 1].SelectMany(part => (part == 0 ? handshakes : Mutations.Edits).Select(edit => (part, edit)));
        await Fuzz.RunAsync(cases, 90, seed: 72, (c, _) => SendAndDrainAsync(server, peerNic, target, c.part, c.edit), _ => false,
            c => c.part == 0 ? $"answer: {Fuzz.Hex(c.edit([]))}" : "side-channel frames (the edits are drawn from the seed; run the case to see its bytes)");

        var closed = WhenAllClosed(server);
        using (var client = new RdmaBlobTransport(Secret, new RdmaTransportOptions { ReceiveDepth = 8 }, _fabric.OpenNic("client")))
        {
            await client.TransferAsync(server.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound);
        }
        await closed.WaitAsync(Bound);
        AssertIdentical(source, target);
        lock (faults) Assert.Empty(faults.Select(e => e.ToString()));
        Assert.Equal(0, server.FaultedConnections);
        Assert.True(server.RefusedConnections > 0, "no garbage handshake was refused");
        Assert.True(server.CutConnections > 0, "no garbage frame was cut");
        Assert.Equal((0, 0), (_fabric.OpenRegions, _fabric.OpenQueuePairs));
    }

    [Fact]
    public async Task A_client_fed_garbage_connection_info_and_chunk_headers_fails_clearly_in_bounded_time_and_memory()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 73);
        // Even cases: a server without chunk MACs; odd cases: one with them, each tag signed under the case's session key, then edited.
        await Fuzz.RunAsync(Mutations.Edits, 120, seed: 74, (edit, i) => FetchFromLiarAsync(source, edit, macs: i % 2 == 1),
            SharedMemoryFuzzTests.IsDocumented, _ => "(the edits are drawn from the seed; run the case to see its bytes)");

        foreach (bool macs in new[] { false, true })
        {
            Assert.Null(await Fuzz.CheckAsync(() => FetchFromLiarAsync(source, bytes => bytes, macs),
                e => e is TransferException && e.Message.Contains(": no more", StringComparison.Ordinal)));
        }
    }

    /// <summary>
    /// Fetches <paramref name="source"/>'s layout from a liar on the fabric that proves the secret, connects a real
    /// queue pair and sends its connection info, the headers (and tags when <paramref name="macs"/>) of the first two
    /// chunks of blob 0 and an error reply, edited by <paramref name="edit"/>; once the client says it is ready, it
    /// RDMA-writes those two chunks' true bytes. Nothing may be marked loaded, nor left registered.
    /// </summary>
    private async Task FetchFromLiarAsync(ParameterImage source, Func<byte[], byte[]> edit, bool macs)
    {
        var layout = source.Layout;
        using var listener = SocketIo.ListenTcp(Loopback);
        string address = listener.LocalEndPoint!.ToString()!;
        var plan = new ChunkPlan(layout, 0, layout.Blobs.Count, SmallChunk);
        var liar = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync();
            var key = await ClusterAuth.AcceptAsync(peer, Secret, macs ? WireFormat.ChunkMacFlag : (ushort)0, _ => { }, CancellationToken.None);
            if (key is null) return;
            var request = new byte[WireFormat.HeaderBytes];
            await SocketIo.ReceiveExactlyAsync(peer, request, CancellationToken.None);
            var rest = new byte[RequestHeader.Read(request)!.Value.ModelIdBytes + RdmaConnectionInfo.Bytes];
            await SocketIo.ReceiveExactlyAsync(peer, rest, CancellationToken.None);
            var theirs = RdmaConnectionInfo.Read(rest.AsSpan(rest.Length - RdmaConnectionInfo.Bytes), out _)!.Value;

            using var nic = _fabric.OpenNic("liar");
            var (start, imageOffset, length) = ImageRegion.Of(new ImageSink(source), plan, "the liar");
            using var region = nic.Register(start, length, remoteWrite: false);
            using var queuePair = nic.CreateQueuePair(sendDepth: 4, receiveDepth: 1);
            queuePair.Connect(theirs);
            await SocketIo.SendAllAsync(peer, edit(SideChannel(queuePair, nic, source, plan, macs ? key : null)), CancellationToken.None);
            // All it says is said: a client still waiting for more sees the end now, not at its connect timeout.
            peer.Shutdown(SocketShutdown.Send);
            var ready = new byte[RdmaWire.ReadyBytes];
            if (await ReceiveQuietlyAsync(peer, ready) && BinaryPrimitives.ReadUInt32LittleEndian(ready) == RdmaWire.ReadyMagic)
            {
                try
                {
                    for (int i = 0; i < 2; i++)
                    {
                        var chunk = plan.Get(0, i);
                        long at = layout.Blobs[0].Offset + chunk.OffsetInBlob;
                        queuePair.PostWriteWithImmediate((ulong)i, start + (nint)(at - imageOffset), chunk.Length, region.LocalKey,
                            theirs.RegionAddress + (ulong)(at - theirs.RegionImageOffset), theirs.RemoteKey, RdmaWire.Immediate(plan.IndexOf(chunk)));
                    }
                }
                catch (RdmaException)
                {
                    // The client's queue pair is gone already (it failed the transfer): the liar's went to the error state.
                }
            }
            // Its refetches, until the client hangs up.
            while (await ReceiveQuietlyAsync(peer, new byte[WireFormat.HeaderBytes]))
            {
            }
        });
        using var target = ParameterImage.Allocate(layout);
        try
        {
            using var client = new RdmaBlobTransport(Secret, new RdmaTransportOptions { ReceiveDepth = 8, RequireChunkAuthentication = macs }, _fabric.OpenNic("client"));
            await client.TransferAsync(address, Whole(layout), new ImageSink(target));
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
            // Blob 0 is several chunks: the two written may land but cannot mark it, and nothing else may be marked.
            for (int b = 0; b < layout.Blobs.Count; b++) Assert.False(target.IsLoaded(b), $"blob {b} is marked loaded");
            Assert.Equal((0, 0), (_fabric.OpenRegions, _fabric.OpenQueuePairs));
        }
    }

    /// <summary>The liar's connection info, a header (and tag) for each of the first two chunks of blob 0, then an error reply.</summary>
    private static byte[] SideChannel(IRdmaQueuePair queuePair, IRdmaNic nic, ParameterImage source, ChunkPlan plan, byte[]? sessionKey)
    {
        using var mac = sessionKey is null ? null : new ChunkMac(sessionKey);
        var stream = new List<byte>();
        var info = new byte[RdmaConnectionInfo.Bytes];
        RdmaConnectionInfo.Of(queuePair, nic.Address).Write(info);
        stream.AddRange(info);
        var header = new byte[WireFormat.HeaderBytes];
        for (int i = 0; i < 2; i++)
        {
            var chunk = plan.Get(0, i);
            var bytes = source.BlobBytes(0).Slice((int)chunk.OffsetInBlob, chunk.Length);
            new ReplyHeader(ReplyKind.Chunk, 0, chunk.Length, chunk.OffsetInBlob, ChunkHash.Of(bytes)).Write(header);
            stream.AddRange(header);
            if (mac is null) continue;
            var tag = new byte[ChunkMac.TagBytes];
            mac.Sign(header, bytes, tag);
            stream.AddRange(tag);
        }
        stream.AddRange(ReplyHeader.ErrorFrame(ReplyKind.Error, "no more"));
        return [.. stream];
    }

    /// <summary>
    /// One hostile peer: garbage for its answer (part 0); or it proves the secret, makes a queue pair with a posted
    /// receive and registers <paramref name="target"/> for remote writes, and sends the edited side-channel frames of
    /// a whole fetch (range request, its connection info, ready, two refetches). Then it reads until the server
    /// closes: it must, whatever it was sent.
    /// </summary>
    private static async Task SendAndDrainAsync(RdmaBlobServer server, IRdmaNic nic, ParameterImage target, int part, Func<byte[], byte[]> edit)
    {
        using var peer = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(server.LocalEndPoint);
        IRdmaQueuePair? queuePair = null;
        IRdmaRegion? region = null;
        try
        {
            byte[] bytes;
            if (part == 0)
            {
                await SocketIo.ReceiveExactlyAsync(peer, new byte[WireFormat.HelloBytes], CancellationToken.None);
                bytes = edit([]);
            }
            else
            {
                await ClusterAuth.AuthenticateAsync(peer, Secret, server.Address, Model, CancellationToken.None);
                var plan = new ChunkPlan(target.Layout, 0, target.Layout.Blobs.Count, SmallChunk);
                var (start, imageOffset, length) = ImageRegion.Of(new ImageSink(target), plan, "the peer");
                region = nic.Register(start, length, remoteWrite: true);
                queuePair = nic.CreateQueuePair(sendDepth: 1, receiveDepth: 1);
                queuePair.PostReceive(0);
                bytes = edit(Requests(plan, RdmaConnectionInfo.Of(queuePair, nic.Address, region, imageOffset)));
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
        finally
        {
            queuePair?.Dispose();
            region?.Dispose();
        }
    }

    /// <summary>A whole fetch's side-channel frames from the client: range request and connection info, ready, two refetches.</summary>
    private static byte[] Requests(ChunkPlan plan, RdmaConnectionInfo ours)
    {
        var modelId = Encoding.UTF8.GetBytes(Model);
        int infoAt = WireFormat.HeaderBytes + modelId.Length, readyAt = infoAt + RdmaConnectionInfo.Bytes, refetchAt = readyAt + RdmaWire.ReadyBytes;
        var frames = new byte[refetchAt + 2 * WireFormat.HeaderBytes];
        RequestHeader.Range(plan.FirstBlob, plan.EndBlob, plan.ImageBytes, plan.ChunkBytes, modelId.Length).Write(frames);
        modelId.CopyTo(frames, WireFormat.HeaderBytes);
        ours.Write(frames.AsSpan(infoAt));
        BinaryPrimitives.WriteUInt32LittleEndian(frames.AsSpan(readyAt), RdmaWire.ReadyMagic);
        RequestHeader.Chunk(plan.Get(0, 0)).Write(frames.AsSpan(refetchAt));
        RequestHeader.Chunk(plan.Get(plan.EndBlob - 1, 0)).Write(frames.AsSpan(refetchAt + WireFormat.HeaderBytes));
        return frames;
    }

    private static Task WhenAllClosed(DataPlaneServer server)
    {
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.ConnectionClosed += () =>
        {
            if (server.ActiveConnections == 0) idle.TrySetResult();
        };
        return idle.Task;
    }

    private static async Task<bool> ReceiveQuietlyAsync(Socket socket, byte[] buffer)
    {
        try
        {
            return await SocketIo.ReceiveExactlyAsync(socket, buffer, CancellationToken.None);
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
