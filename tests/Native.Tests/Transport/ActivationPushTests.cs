using System.Net;
using System.Net.Sockets;
using System.Text;
using BlitzScale.Native.Transport;
using Microsoft.Extensions.Time.Testing;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// Activation pushes (a live pair's hidden states): one connection kept open per peer, each frame MAC'd under the session
/// key, delivered to the host's inbox whether the take comes before or after; hostile frames cut and counted.
/// </summary>
public sealed class ActivationPushTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task Pushes_arrive_whole_and_in_order_over_one_connection()
    {
        var inbox = new ActivationInbox();
        await using var server = BlobServer.Start(Loopback, Secret);
        server.Activations = inbox;
        await using var pusher = new ActivationPusher(server.Address, Secret);
        var payloads = Enumerable.Range(0, 3).Select(i => Bytes(2_060 + i * 997, seed: i)).ToArray();

        for (int i = 0; i < payloads.Length; i++) await pusher.PushAsync($"pair/live/r{i}/0", payloads[i]);

        for (int i = 0; i < payloads.Length; i++) Assert.Equal(payloads[i], await inbox.TakeAsync($"pair/live/r{i}/0", Bound));
        Assert.Equal(1, pusher.ConnectionsOpened);
        Assert.Equal(1, server.ActiveConnections);
        Assert.Equal(0, inbox.Held);
    }

    [Fact]
    public async Task Connecting_ahead_opens_the_one_connection_the_pushes_then_use()
    {
        var inbox = new ActivationInbox();
        await using var server = BlobServer.Start(Loopback, Secret);
        server.Activations = inbox;
        await using var pusher = new ActivationPusher(server.Address, Secret);

        await pusher.ConnectAsync();
        await pusher.ConnectAsync();
        Assert.Equal(1, pusher.ConnectionsOpened);
        await pusher.PushAsync("first", new byte[] { 5, 6 });

        Assert.Equal([5, 6], await inbox.TakeAsync("first", Bound));
        Assert.Equal(1, pusher.ConnectionsOpened);
    }

    [Fact]
    public async Task A_take_that_comes_before_the_push_waits_for_it()
    {
        var inbox = new ActivationInbox();
        await using var server = BlobServer.Start(Loopback, Secret);
        server.Activations = inbox;
        await using var pusher = new ActivationPusher(server.Address, Secret);
        var payload = Bytes(4_108, seed: 7);

        var take = inbox.TakeAsync("early", Bound);
        Assert.False(take.IsCompleted);
        await pusher.PushAsync("early", payload);

        Assert.Equal(payload, await take.WaitAsync(Bound));
    }

    [Fact]
    public async Task A_take_nothing_answers_times_out_naming_the_id_and_leaves_no_waiter()
    {
        var time = new FakeTimeProvider();
        var inbox = new ActivationInbox(time);

        var take = inbox.TakeAsync("never", TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.False(take.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.1));

        var error = await Assert.ThrowsAsync<TimeoutException>(() => take);
        Assert.Equal("activation \"never\" did not arrive within 10 s", error.Message);
        // The id is free again: a later push is held, not handed to the take that gave up.
        Assert.Null(inbox.Deliver("never", [1, 2, 3]));
        Assert.Equal(1, inbox.Held);
    }

    [Fact]
    public async Task What_nobody_takes_is_dropped_after_the_hold_time_and_duplicates_and_overflow_are_refused()
    {
        var time = new FakeTimeProvider();
        var inbox = new ActivationInbox(time, maxFrameBytes: 64, maxHeldBytes: 100, holdFor: TimeSpan.FromSeconds(60));

        Assert.Null(inbox.Deliver("a", new byte[60]));
        Assert.Equal("activation \"a\" is already held here", inbox.Deliver("a", new byte[1]));
        Assert.Equal("activation \"b\" of 41 bytes would take the bytes held past 100", inbox.Deliver("b", new byte[41]));
        Assert.Equal(2, inbox.Refused);

        time.Advance(TimeSpan.FromSeconds(60));
        Assert.Null(inbox.Deliver("b", new byte[41]));

        Assert.Equal(1, inbox.Expired);
        Assert.Equal(1, inbox.Held);
        Assert.Equal(41, (await inbox.TakeAsync("b", TimeSpan.FromSeconds(1))).Length);
        var gone = inbox.TakeAsync("a", TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<TimeoutException>(() => gone);
    }

    [Fact]
    public async Task A_pusher_without_the_secret_is_refused_and_nothing_is_delivered()
    {
        var inbox = new ActivationInbox();
        await using var server = BlobServer.Start(Loopback, Secret);
        server.Activations = inbox;
        byte[] wrong = [.. Secret];
        wrong[0] ^= 1;
        await using var pusher = new ActivationPusher(server.Address, wrong);

        await Assert.ThrowsAsync<PeerRefusedException>(() => pusher.PushAsync("x", new byte[16]).WaitAsync(Bound));

        Assert.Equal(1, server.RefusedConnections);
        Assert.Equal(0, inbox.Held);
    }

    [Theory]
    [InlineData("forged", "activation frame 1 failed its MAC check")]
    [InlineData("huge", "activation frame 1 has an id of 1 bytes (1 to 1024) and a payload of 1073741824 bytes (at most 4096), or fields that must be 0 are not")]
    [InlineData("replayed", "activation frame 1 failed its MAC check")]
    [InlineData("not-a-frame", "activation frame 1 is not an activation frame")]
    public async Task A_frame_that_breaks_the_protocol_cuts_the_connection_keeps_what_came_before_and_the_server_serves_on(string attack, string why)
    {
        var inbox = new ActivationInbox(maxFrameBytes: 4096);
        await using var server = BlobServer.Start(Loopback, Secret);
        server.Activations = inbox;
        var rejected = new TaskCompletionSource<PeerRejection>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.PeerRejected += r => rejected.TrySetResult(r);
        using var socket = await OpenStreamAsync(server.Address);
        using var mac = new ChunkMac(socket.SessionKey);

        var first = Frame("ok", [1, 2, 3], mac);
        await socket.SendAsync(first);
        byte[] second = attack switch
        {
            "forged" => Tampered(Frame("x", [9], mac)),
            "huge" => Header(RequestKind.Activation, idBytes: 1, payloadBytes: 1L << 30),
            "replayed" => first,
            _ => Header(RequestKind.Chunk, idBytes: 1, payloadBytes: 1),
        };
        await socket.SendAsync(second);

        var rejection = await rejected.Task.WaitAsync(Bound);
        Assert.Equal(PeerRejectionKind.ProtocolViolation, rejection.Kind);
        Assert.Equal(why, rejection.Reason);
        Assert.Equal(1, server.CutConnections);
        Assert.Equal([1, 2, 3], await inbox.TakeAsync("ok", Bound));
        Assert.Equal(0, inbox.Held);
        await using var honest = new ActivationPusher(server.Address, Secret);
        await honest.PushAsync("after", new byte[] { 4 });
        Assert.Equal([4], await inbox.TakeAsync("after", Bound));
    }

    [Fact]
    public async Task A_server_that_takes_no_activations_cuts_a_push_stream_and_the_next_push_opens_a_new_connection()
    {
        await using var server = BlobServer.Start(Loopback, Secret);
        var rejected = new TaskCompletionSource<PeerRejection>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.PeerRejected += r => rejected.TrySetResult(r);
        await using var pusher = new ActivationPusher(server.Address, Secret);

        // The frame is lost either way: handed to the socket before the cut (the push returns), or after it (the push throws).
        var pushed = await Record.ExceptionAsync(() => pusher.PushAsync("lost", new byte[] { 1 }));
        Assert.True(pushed is null or TransferException, $"unexpected: {pushed}");
        Assert.Equal("it opened an activation push stream on a server that takes none", (await rejected.Task.WaitAsync(Bound)).Reason);
        await pusher.CurrentConnectionClosed.WaitAsync(Bound);

        var inbox = new ActivationInbox();
        server.Activations = inbox;
        await pusher.PushAsync("next", new byte[] { 2 });

        Assert.Equal(2, pusher.ConnectionsOpened);
        Assert.Equal([2], await inbox.TakeAsync("next", Bound));
        Assert.Equal(0, inbox.Held);
    }

    [Fact]
    public async Task An_id_longer_than_the_protocol_allows_is_refused_before_anything_is_sent()
    {
        await using var pusher = new ActivationPusher("127.0.0.1:9", Secret);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => pusher.PushAsync(new string('é', 513), new byte[1]));

        Assert.Contains("is 1026 bytes in UTF-8; at most 1024", error.Message);
        Assert.Equal(0, pusher.ConnectionsOpened);
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Header(RequestKind kind, int idBytes, long payloadBytes)
    {
        var header = new byte[WireFormat.HeaderBytes];
        new RequestHeader(kind, 0, idBytes, payloadBytes, 0, 0).Write(header);
        return header;
    }

    private static byte[] Frame(string id, byte[] payload, ChunkMac mac)
    {
        var idBytes = Encoding.UTF8.GetBytes(id);
        var header = Header(RequestKind.Activation, idBytes.Length, payload.Length);
        byte[] body = [.. idBytes, .. payload];
        var tag = new byte[ChunkMac.TagBytes];
        mac.Sign(header, body, tag);
        return [.. header, .. body, .. tag];
    }

    // As an attacker on the wire: the last payload byte flipped, the tag left as it was.
    private static byte[] Tampered(byte[] frame)
    {
        frame[^(ChunkMac.TagBytes + 1)] ^= 0x40;
        return frame;
    }

    private static async Task<PushSocket> OpenStreamAsync(string address)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPEndPoint.Parse(address));
        var session = await ClusterAuth.AuthenticateAsync(socket, Secret, address, "test", CancellationToken.None);
        await SocketIo.SendAllAsync(socket, Header(RequestKind.ActivationStream, 0, 0), CancellationToken.None);
        return new PushSocket(socket, session.SessionKey);
    }

    private sealed class PushSocket(Socket socket, byte[] sessionKey) : IDisposable
    {
        public byte[] SessionKey { get; } = sessionKey;

        public ValueTask SendAsync(byte[] bytes) => SocketIo.SendAllAsync(socket, bytes, CancellationToken.None);

        public void Dispose() => socket.Dispose();
    }
}
