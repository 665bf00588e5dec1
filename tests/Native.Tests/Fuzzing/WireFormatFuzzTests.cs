using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Tests.Transport;
using BlitzScale.Native.Transport;
using CsCheck;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Fuzzing;

/// <summary>
/// The TCP blob protocol on generated hostile bytes (fixed seeds), from both ends. A server fed garbage handshakes and
/// garbage requests closes each such connection, never faults, and then still serves a real transfer; a client fed
/// garbage replies fails with a <see cref="TransferException"/> or an <see cref="AuthenticationException"/> in bounded
/// time and memory, and leaves no blob marked loaded that it did not verify.
/// </summary>
public sealed class WireFormatFuzzTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_server_fed_garbage_handshakes_and_requests_closes_them_never_faults_and_keeps_serving()
    {
        using var source = Random(Layout(), seed: 41);
        await using var server = BlobServer.Start(Loopback, Secret, new BlobServerOptions { AuthenticationTimeout = TimeSpan.FromSeconds(2) });
        server.Register(Model, new ImageSink(source));
        var faults = new List<Exception>();
        server.ConnectionFaulted += e => { lock (faults) faults.Add(e); };

        var handshakes = Mutations.Bytes(new byte[WireFormat.AnswerBytes]);
        var requests = Mutations.Bytes(ValidRequests(source.Layout));
        var pcg = new PCG(7, 42);
        for (int i = 0; i < 80; i++)
        {
            bool authenticated = i % 2 == 1;
            var bytes = (authenticated ? requests : handshakes).Generate(pcg, null, out _);
            await SendAndDrainAsync(server, bytes, authenticated).WaitAsync(Bound);
        }

        using var target = ParameterImage.Allocate(source.Layout);
        await new TcpBlobTransport(Secret).TransferAsync(server.Address, Whole(source.Layout), new ImageSink(target)).WaitAsync(Bound);
        AssertIdentical(source, target);
        lock (faults) Assert.Empty(faults.Select(e => e.ToString()));
        Assert.Equal(0, server.FaultedConnections);
        Assert.True(server.RefusedConnections + server.CutConnections > 0, "no garbage was refused or cut");
    }

    [Fact]
    public void A_client_fed_garbage_replies_fails_clearly_in_bounded_time_and_memory()
    {
        var layout = Layout();
        var valid = ValidReplies(layout);
        Fuzz.Run(Mutations.Bytes(valid), 120, seed: 43, bytes => FetchFromLiar(layout, bytes),
            e => e is TransferException or AuthenticationException, Fuzz.Hex);
        // Unaltered, the same bytes land chunk 0, then the peer's error reply ends the transfer with its message.
        Assert.Null(Fuzz.Check(() => FetchFromLiar(layout, valid), e => e is TransferException && e.Message.Contains(": no more", StringComparison.Ordinal)));
    }

    /// <summary>A valid range request for the whole tiny image, then refetches of its first chunks.</summary>
    private static byte[] ValidRequests(ImageLayout layout)
    {
        var modelId = Encoding.UTF8.GetBytes(Model);
        var frame = new byte[WireFormat.HeaderBytes + modelId.Length + 2 * WireFormat.HeaderBytes];
        RequestHeader.Range(0, layout.Blobs.Count, layout.TotalBytes, SmallChunk, modelId.Length).Write(frame);
        modelId.CopyTo(frame, WireFormat.HeaderBytes);
        var plan = new ChunkPlan(layout, 0, layout.Blobs.Count, SmallChunk);
        RequestHeader.Chunk(plan.Get(0, 0)).Write(frame.AsSpan(WireFormat.HeaderBytes + modelId.Length));
        RequestHeader.Chunk(plan.Get(layout.Blobs.Count - 1, 0)).Write(frame.AsSpan(2 * WireFormat.HeaderBytes + modelId.Length));
        return frame;
    }

    /// <summary>What a server without chunk MACs sends for the whole tiny image's first chunk, then an error reply.</summary>
    private static byte[] ValidReplies(ImageLayout layout)
    {
        var chunk = new ChunkPlan(layout, 0, layout.Blobs.Count, SmallChunk).Get(0, 0);
        var payload = new byte[chunk.Length];
        new Random(44).NextBytes(payload);
        var header = new byte[WireFormat.HeaderBytes];
        new ReplyHeader(ReplyKind.Chunk, chunk.Blob, chunk.Length, chunk.OffsetInBlob, ChunkHash.Of(payload)).Write(header);
        return [.. header, .. payload, .. ReplyHeader.ErrorFrame(ReplyKind.Error, "no more")];
    }

    private static async Task SendAndDrainAsync(BlobServer server, byte[] bytes, bool authenticate)
    {
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(server.LocalEndPoint);
        try
        {
            if (authenticate) await ClusterAuth.AuthenticateAsync(peer, Secret, server.Address, Model, CancellationToken.None);
            else await SocketIo.ReceiveExactlyAsync(peer, new byte[WireFormat.HelloBytes], CancellationToken.None);
            await SocketIo.SendAllAsync(peer, bytes, CancellationToken.None);
            peer.Shutdown(SocketShutdown.Send);
            // Until the server closes: it must, whatever it was sent.
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

    /// <summary>Fetches the tiny image from a peer that proves the secret, then sends <paramref name="replies"/> and closes.</summary>
    private static void FetchFromLiar(ImageLayout layout, byte[] replies)
    {
        using var listener = SocketIo.ListenTcp(Loopback);
        var liar = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync();
            if (await ClusterAuth.AcceptAsync(peer, Secret, flags: 0, _ => { }, CancellationToken.None) is null) return;
            await SocketIo.SendAllAsync(peer, replies, CancellationToken.None);
            peer.Shutdown(SocketShutdown.Send);
        });
        using var target = ParameterImage.Allocate(layout);
        var client = new TcpBlobTransport(Secret, new TcpTransportOptions { RequireChunkAuthentication = false });
        try
        {
            client.TransferAsync(listener.LocalEndPoint!.ToString()!, Whole(layout), new ImageSink(target)).GetAwaiter().GetResult();
        }
        finally
        {
            try
            {
                liar.Wait(Bound);
            }
            catch (AggregateException e) when (e.InnerException is SocketException)
            {
                // The client hung up first.
            }
            // Blob 0 is several chunks: one landed chunk may not mark it, and nothing else may be.
            for (int b = 0; b < layout.Blobs.Count; b++) Assert.False(target.IsLoaded(b), $"blob {b} is marked loaded");
        }
    }
}
