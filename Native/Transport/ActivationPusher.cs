using System.Net.Sockets;
using System.Text;

namespace BlitzScale.Native.Transport;

/// <summary>
/// Pushes activations to one peer's <see cref="BlobServer"/> over one connection kept open for as long as it works:
/// the mutual handshake once, then one frame per activation, each with its MAC under the session key (wire format in
/// <c>WireFormat.cs</c>). A live pair's split steps take one one-way trip each this way, where a fetch per step paid a
/// connection, the handshake's round trips and the request's.
/// </summary>
/// <remarks>
/// Pushes are sent one at a time in call order. A connection that fails or that the peer closes is dropped, and the next
/// push opens a new one; the push that found it broken throws, since its frame may not have arrived.
/// </remarks>
public sealed class ActivationPusher : IAsyncDisposable
{
    private readonly string _peer;
    private readonly byte[] _secret;
    private readonly TcpTransportOptions _options;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private Connection? _connection;
    private bool _disposed;

    /// <param name="peer">The server's <c>host:port</c> (<see cref="BlobServer.Address"/>).</param>
    /// <param name="clusterSecret">The cluster secret (copied).</param>
    /// <param name="options">Socket settings and the connect timeout.</param>
    /// <exception cref="ArgumentException">The peer is not <c>host:port</c>, or the secret is shorter than 16 bytes.</exception>
    public ActivationPusher(string peer, byte[] clusterSecret, TcpTransportOptions? options = null)
    {
        PeerAddress.Parse(peer);
        _peer = peer;
        _secret = ClusterAuth.CopySecret(clusterSecret, nameof(clusterSecret));
        _options = options ?? new TcpTransportOptions();
        _options.Validate();
    }

    /// <summary>The peer pushed to.</summary>
    public string Peer => _peer;

    /// <summary>Test hook: completes when the connection open now is seen closed by the peer (completed when there is none).</summary>
    internal Task CurrentConnectionClosed => _connection?.Closed ?? Task.CompletedTask;

    /// <summary>Connections opened so far (one while the first keeps working).</summary>
    public int ConnectionsOpened { get; private set; }

    /// <summary>Sends <paramref name="payload"/> under <paramref name="id"/>; returns once it is handed to the socket.</summary>
    /// <exception cref="ArgumentException">The id is empty or longer than <see cref="TransferRequest.MaxModelIdBytes"/> bytes in UTF-8.</exception>
    /// <exception cref="PeerRefusedException">The peer refused the cluster secret.</exception>
    /// <exception cref="TransferException">The peer could not be reached, or the connection broke (the frame may be lost).</exception>
    public async Task PushAsync(string id, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        int idBytes = Encoding.UTF8.GetByteCount(id);
        if (idBytes > TransferRequest.MaxModelIdBytes)
            throw new ArgumentException($"activation id \"{id}\" is {idBytes} bytes in UTF-8; at most {TransferRequest.MaxModelIdBytes}", nameof(id));
        // One buffer: the header, then the id and the payload, which the MAC covers as one.
        var frame = new byte[WireFormat.HeaderBytes + idBytes + payload.Length + ChunkMac.TagBytes];
        var header = frame.AsSpan(0, WireFormat.HeaderBytes);
        new RequestHeader(RequestKind.Activation, 0, idBytes, payload.Length, 0, 0).Write(header);
        var body = frame.AsSpan(WireFormat.HeaderBytes, idBytes + payload.Length);
        Encoding.UTF8.GetBytes(id, body);
        payload.Span.CopyTo(body[idBytes..]);

        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var connection = _connection is { Broken: false } open ? open : await OpenAsync(cancellationToken).ConfigureAwait(false);
            connection.Mac.Sign(frame.AsSpan(0, WireFormat.HeaderBytes), frame.AsSpan(WireFormat.HeaderBytes, idBytes + payload.Length),
                frame.AsSpan(frame.Length - ChunkMac.TagBytes));
            try
            {
                await SocketIo.SendAllAsync(connection.Socket, frame, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // Part of a frame may have gone: the stream is out of step, so the connection is done.
                Drop(connection);
                if (e is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
                throw new TransferException(_peer, id, $"pushing activation \"{id}\" to {_peer} failed: {e.Message}", e);
            }
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>
    /// Opens the connection now, if none is open, so the first push does not pay for the connect and the handshake (a live
    /// pair's first split step carries its request's first token).
    /// </summary>
    /// <exception cref="PeerRefusedException">The peer refused the cluster secret.</exception>
    /// <exception cref="TransferException">The peer could not be reached.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is not { Broken: false }) await OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _sending.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_connection is { } connection) Drop(connection);
        }
        finally
        {
            _sending.Release();
        }
        _sending.Dispose();
    }

    // Connects, proves the secret (and checks the peer's proof), and opens the push stream. Under _sending.
    private async Task<Connection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_connection is { } old) Drop(old);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            SocketIo.Configure(socket, _options.SocketBufferBytes);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ConnectTimeout);
            ClientSession session;
            try
            {
                await socket.ConnectAsync(PeerAddress.Parse(_peer), timeout.Token).ConfigureAwait(false);
                session = await ClusterAuth.AuthenticateAsync(socket, _secret, _peer, "(activations)", timeout.Token).ConfigureAwait(false);
                var open = new byte[WireFormat.HeaderBytes];
                new RequestHeader(RequestKind.ActivationStream, 0, 0, 0, 0, 0).Write(open);
                await SocketIo.SendAllAsync(socket, open, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TransferException(_peer, "(activations)",
                    $"could not push activations to {_peer}: it did not connect and authenticate within {_options.ConnectTimeout.TotalSeconds:0.#} s", e);
            }
            catch (Exception e) when (e is SocketException or EndOfStreamException)
            {
                throw new TransferException(_peer, "(activations)", $"could not push activations to {_peer}: {e.Message}", e);
            }
            var connection = new Connection(socket, new ChunkMac(session.SessionKey));
            ConnectionsOpened++;
            _connection = connection;
            // The server never writes on a push stream: a read that returns means it closed (or cut) the connection, and
            // the next push must not go into a socket that is gone.
            connection.Closed = WatchAsync(connection);
            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task WatchAsync(Connection connection)
    {
        try
        {
            var one = new byte[1];
            await connection.Socket.ReceiveAsync(one, SocketFlags.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        connection.Broken = true;
    }

    private void Drop(Connection connection)
    {
        connection.Broken = true;
        if (_connection == connection) _connection = null;
        connection.Dispose();
    }

    private sealed class Connection(Socket socket, ChunkMac mac) : IDisposable
    {
        private int _disposed;

        public Socket Socket { get; } = socket;

        public ChunkMac Mac { get; } = mac;

        public volatile bool Broken;

        public Task Closed { get; set; } = Task.CompletedTask;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            SocketIo.ShutdownQuietly(Socket);
            Socket.Dispose();
            Mac.Dispose();
        }
    }
}
