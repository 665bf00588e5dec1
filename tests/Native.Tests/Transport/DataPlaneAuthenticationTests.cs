using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// The TCP data plane against hostile peers: both sides prove the cluster secret, chunks are authenticated under the
/// session key, and a peer that breaks the handshake or the protocol is cut, counted and named while the server keeps
/// serving.
/// </summary>
public sealed class DataPlaneAuthenticationTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task Both_sides_prove_the_secret_and_agree_on_a_session_key_that_differs_per_connection()
    {
        var first = await HandshakeAsync(Secret, Secret, flags: WireFormat.ChunkMacFlag);
        var second = await HandshakeAsync(Secret, Secret, flags: 0);

        Assert.Equal(first.Server, first.Client.SessionKey);
        Assert.True(first.Client.ChunksAuthenticated);
        Assert.False(second.Client.ChunksAuthenticated);
        Assert.NotEqual(first.Server, second.Server);
    }

    [Fact]
    public async Task A_client_without_the_secret_is_refused_and_the_server_names_why()
    {
        byte[] wrong = [.. Secret];
        wrong[^1] ^= 0x80;
        string? why = null;

        await Assert.ThrowsAsync<PeerRefusedException>(() => HandshakeAsync(Secret, wrong, 0, r => why = r));

        Assert.Equal("its answer to the challenge does not prove the cluster secret", why);
    }

    [Fact]
    public async Task An_impostor_server_that_accepts_any_answer_is_not_trusted_and_nothing_lands()
    {
        using var listener = SocketIo.ListenTcp(Loopback);
        var impostor = ImpostorAsync(listener);
        var target = ParameterImage.Allocate(Layout());
        string address = listener.LocalEndPoint!.ToString()!;

        var error = await Assert.ThrowsAsync<PeerUnauthenticatedException>(() =>
            new TcpBlobTransport(Secret).TransferAsync(address, Whole(target.Layout), new ImageSink(target)).WaitAsync(Bound));

        Assert.Equal(address, error.Peer);
        Assert.Contains($"peer {address} did not prove it holds the cluster secret", error.Message);
        Assert.All(Enumerable.Range(0, target.Layout.Blobs.Count), b => Assert.False(target.IsLoaded(b)));
        await impostor.WaitAsync(Bound);
    }

    [Fact]
    public async Task A_chunk_altered_on_the_wire_with_its_hash_rewritten_fails_its_MAC_and_is_never_accepted()
    {
        using var source = Random(Layout(), seed: 21);
        await using var server = BlobServer.Start(Loopback, Secret);
        server.Register(Model, new ImageSink(source));
        await using var proxy = new WireTamperingProxy(server.LocalEndPoint);
        using var target = ParameterImage.Allocate(source.Layout);

        var error = await Assert.ThrowsAsync<ChunkVerificationException>(() =>
            new TcpBlobTransport(Secret).TransferAsync(proxy.Address, Whole(source.Layout), new ImageSink(target)).WaitAsync(Bound));

        Assert.Contains("its MAC under the session key did not match", error.Message);
        Assert.Equal(TransferRequest.DefaultMaxAttempts, error.Attempts);
        Assert.True(proxy.Tampered >= TransferRequest.DefaultMaxAttempts);
        Assert.False(target.IsLoaded(error.Blob));
    }

    [Fact]
    public void A_chunk_MAC_covers_the_header_the_payload_and_the_reply_order()
    {
        var key = new byte[32];
        new Random(31).NextBytes(key);
        var header = new byte[WireFormat.HeaderBytes];
        var payload = new byte[1000];
        new Random(32).NextBytes(payload);
        using var sender = new ChunkMac(key);
        var first = new byte[ChunkMac.TagBytes];
        var second = new byte[ChunkMac.TagBytes];
        sender.Sign(header, payload, first);
        sender.Sign(header, payload, second);

        using var inOrder = new ChunkMac(key);
        Assert.True(inOrder.Verify(header, payload, first));
        Assert.True(inOrder.Verify(header, payload, second));
        using var replayed = new ChunkMac(key);
        Assert.False(replayed.Verify(header, payload, second));
        using var otherHeader = new ChunkMac(key);
        header[8] ^= 1;
        Assert.False(otherHeader.Verify(header, payload, first));
        header[8] ^= 1;
        using var otherPayload = new ChunkMac(key);
        payload[999] ^= 1;
        Assert.False(otherPayload.Verify(header, payload, first));
        using var otherKey = new ChunkMac([.. key.Select(b => (byte)~b)]);
        payload[999] ^= 1;
        Assert.False(otherKey.Verify(header, payload, first));
    }

    [Fact]
    public void A_chunk_MAC_under_an_explicit_number_checks_out_of_order_and_more_than_once_and_leaves_the_in_order_count_alone()
    {
        var key = new byte[32];
        new Random(33).NextBytes(key);
        var header = new byte[WireFormat.HeaderBytes];
        var payload = new byte[1000];
        new Random(34).NextBytes(payload);
        using var sender = new ChunkMac(key);
        var tags = new byte[3][];
        for (int i = 0; i < 3; i++)
        {
            tags[i] = new byte[ChunkMac.TagBytes];
            sender.Sign(header, payload, tags[i]);
        }

        using var receiver = new ChunkMac(key);
        Assert.True(receiver.Verify(2, header, payload, tags[2]));
        Assert.True(receiver.Verify(0, header, payload, tags[0]));
        Assert.True(receiver.Verify(0, header, payload, tags[0]));
        Assert.False(receiver.Verify(1, header, payload, tags[2]));
        Assert.True(receiver.Verify(header, payload, tags[0]));
        Assert.True(receiver.Verify(header, payload, tags[1]));
        var explicitTag = new byte[ChunkMac.TagBytes];
        sender.Sign(2, header, payload, explicitTag);
        Assert.Equal(tags[2], explicitTag);
        Assert.Throws<ArgumentException>(() => sender.Sign(0, new byte[31], payload, explicitTag));
    }

    [Fact]
    public async Task A_client_that_requires_chunk_MACs_refuses_a_server_that_sends_none_and_one_that_does_not_require_them_fetches()
    {
        using var source = Random(Layout(), seed: 22);
        await using var server = BlobServer.Start(Loopback, Secret, new BlobServerOptions { AuthenticateChunks = false });
        server.Register(Model, new ImageSink(source));
        using var target = ParameterImage.Allocate(source.Layout);

        var error = await Assert.ThrowsAsync<TransferException>(() =>
            new TcpBlobTransport(Secret).TransferAsync(server.Address, Whole(source.Layout), new ImageSink(target)).WaitAsync(Bound));
        await new TcpBlobTransport(Secret, new TcpTransportOptions { RequireChunkAuthentication = false })
            .TransferAsync(server.Address, Whole(source.Layout), new ImageSink(target)).WaitAsync(Bound);

        Assert.Contains($"peer {server.Address} does not authenticate its chunks", error.Message);
        AssertIdentical(source, target);
    }

    [Fact]
    public async Task A_peer_that_proves_the_secret_then_stalls_is_a_lost_source_once_the_idle_timeout_passes()
    {
        using var listener = SocketIo.ListenTcp(Loopback);
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var staller = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync();
            await ClusterAuth.AcceptAsync(peer, Secret, WireFormat.ChunkMacFlag, _ => { }, CancellationToken.None);
            await stalled.Task;
        });
        using var target = ParameterImage.Allocate(Layout());
        string address = listener.LocalEndPoint!.ToString()!;
        var client = new TcpBlobTransport(Secret, new TcpTransportOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) });

        var error = await Assert.ThrowsAsync<SourceLostException>(() =>
            client.TransferAsync(address, Whole(target.Layout), new ImageSink(target)).WaitAsync(Bound));
        stalled.SetResult();
        await staller.WaitAsync(Bound);

        Assert.Contains("it sent nothing for 0.3 s", error.Message);
        Assert.Equal(address, error.Peer);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("huge model id")]
    [InlineData("negative model id")]
    [InlineData("chunk request first")]
    public async Task An_authenticated_peer_breaking_the_protocol_is_cut_counted_and_named_and_the_server_keeps_serving(string breach)
    {
        using var source = Random(Layout(), seed: 23);
        await using var server = BlobServer.Start(Loopback, Secret);
        server.Register(Model, new ImageSink(source));
        var rejected = Rejections(server);

        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(server.LocalEndPoint);
        await ClusterAuth.AuthenticateAsync(peer, Secret, server.Address, Model, CancellationToken.None);
        await SocketIo.SendAllAsync(peer, Frame(breach), CancellationToken.None);
        var rejection = await rejected.Task.WaitAsync(Bound);

        Assert.Equal(peer.LocalEndPoint!.ToString(), rejection.Peer);
        Assert.Equal(PeerRejectionKind.ProtocolViolation, rejection.Kind);
        Assert.Contains("range request", rejection.Reason);
        Assert.Equal((1, 0), (server.CutConnections, server.RefusedConnections));
        await AssertStillServes(server, source);
    }

    [Fact]
    public async Task A_peer_that_never_answers_the_challenge_is_refused_when_the_handshake_times_out()
    {
        using var source = Random(Layout(), seed: 24);
        await using var server = BlobServer.Start(Loopback, Secret, new BlobServerOptions { AuthenticationTimeout = TimeSpan.FromMilliseconds(200) });
        server.Register(Model, new ImageSink(source));
        var rejected = Rejections(server);

        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(server.LocalEndPoint);
        var rejection = await rejected.Task.WaitAsync(Bound);

        Assert.Equal(silent.LocalEndPoint!.ToString(), rejection.Peer);
        Assert.Equal(PeerRejectionKind.Refused, rejection.Kind);
        Assert.Equal("it did not finish the handshake within 0.2 s", rejection.Reason);
        Assert.Equal(1, server.RefusedConnections);
        await AssertStillServes(server, source);
    }

    private static byte[] Frame(string breach)
    {
        var frame = new byte[WireFormat.HeaderBytes];
        switch (breach)
        {
            case "garbage":
                new Random(5).NextBytes(frame);
                break;
            case "huge model id":
                RequestHeader.Range(0, 1, 1 << 20, SmallChunk, int.MaxValue).Write(frame);
                break;
            case "negative model id":
                RequestHeader.Range(0, 1, 1 << 20, SmallChunk, -4).Write(frame);
                break;
            default:
                RequestHeader.Chunk(new ChunkRef(0, 0, 0, SmallChunk)).Write(frame);
                break;
        }
        return frame;
    }

    private static TaskCompletionSource<PeerRejection> Rejections(BlobServer server)
    {
        var rejected = new TaskCompletionSource<PeerRejection>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.PeerRejected += r => rejected.TrySetResult(r);
        return rejected;
    }

    private static async Task AssertStillServes(BlobServer server, ParameterImage source)
    {
        using var target = ParameterImage.Allocate(source.Layout);
        await new TcpBlobTransport(Secret).TransferAsync(server.Address, Whole(source.Layout), new ImageSink(target)).WaitAsync(Bound);
        AssertIdentical(source, target);
    }

    /// <summary>One handshake over loopback with each side's secret; the server's session key and the client's session.</summary>
    private static async Task<(byte[]? Server, ClientSession Client)> HandshakeAsync(
        byte[] serverSecret, byte[] clientSecret, ushort flags, Action<string>? refused = null)
    {
        using var listener = SocketIo.ListenTcp(Loopback);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        using var accepted = await listener.AcceptAsync();
        var server = ClusterAuth.AcceptAsync(accepted, serverSecret, flags, refused ?? (_ => { }), CancellationToken.None).AsTask();
        try
        {
            var session = await ClusterAuth.AuthenticateAsync(client, clientSecret, "server", Model, CancellationToken.None).AsTask().WaitAsync(Bound);
            return (await server.WaitAsync(Bound), session);
        }
        finally
        {
            await server.WaitAsync(Bound);
        }
    }

    /// <summary>Speaks the server's side of the handshake without the secret: accepts any answer, "proves" with zeros.</summary>
    private static async Task ImpostorAsync(Socket listener)
    {
        using var peer = await listener.AcceptAsync();
        var hello = new byte[WireFormat.HelloBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(hello, WireFormat.HelloMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(hello.AsSpan(4), WireFormat.Version);
        BinaryPrimitives.WriteUInt16LittleEndian(hello.AsSpan(6), WireFormat.ChunkMacFlag);
        await SocketIo.SendAllAsync(peer, hello, CancellationToken.None);
        await SocketIo.ReceiveExactlyAsync(peer, new byte[WireFormat.AnswerBytes], CancellationToken.None);
        var verdict = new byte[WireFormat.AcceptedBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(verdict, WireFormat.AcceptedMagic);
        await SocketIo.SendAllAsync(peer, verdict, CancellationToken.None);
        // The client must close without sending its request.
        bool sent;
        try
        {
            sent = await SocketIo.ReceiveExactlyAsync(peer, new byte[1], CancellationToken.None);
        }
        catch (SocketException)
        {
            sent = false;
        }
        Assert.False(sent, "the client sent a request to a server that did not prove the secret");
    }
}
