using System.Net.Sockets;

namespace BlitzScale.Native.Transport;

/// <summary>
/// What every blob server shares, whatever carries its bytes: the models it serves, what a peer must prove in the
/// handshake, and the accept loop that starts one connection per peer, counts them and drains them on stop.
/// </summary>
internal sealed class ServerCore(Socket listener, string address, byte[] secret, TimeSpan authenticationTimeout)
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _accepting = Task.CompletedTask;
    private int _active;
    private int _refused;
    private int _cut;
    private int _faulted;
    private int _disposed;

    /// <summary>What peers pass to the matching transport to reach this server.</summary>
    public string Address { get; } = address;

    public byte[] Secret { get; } = secret;

    public TimeSpan AuthenticationTimeout { get; } = authenticationTimeout;

    public ServedModels Models { get; } = new();

    /// <summary>Where activations pushed to this server go; null: it takes none, and a peer that pushes is cut.</summary>
    public ActivationInbox? Activations { get; set; }

    public int ActiveConnections => Volatile.Read(ref _active);

    public int RefusedConnections => Volatile.Read(ref _refused);

    /// <summary>Connections cut after the handshake because the peer broke the protocol.</summary>
    public int CutConnections => Volatile.Read(ref _cut);

    /// <summary>Connections that ended on an error the server did not expect (a bug: each is reported by <see cref="ConnectionFaulted"/>).</summary>
    public int FaultedConnections => Volatile.Read(ref _faulted);

    /// <summary>Raised with the error when a connection ends on one the server did not expect; the server keeps serving.</summary>
    public event Action<Exception>? ConnectionFaulted;

    /// <summary>Raised (on the connection's thread) for every peer refused or cut, before it is closed.</summary>
    public event Action<PeerRejection>? PeerRejected;

    /// <summary>Test hook: raised after a connection has closed and <see cref="ActiveConnections"/> has dropped.</summary>
    public event Action? ConnectionClosed;

    /// <summary>Starts accepting; <paramref name="serve"/> runs one peer's connection until it ends.</summary>
    public void Start(Func<Socket, CancellationToken, Task> serve) => _accepting = AcceptAsync(serve);

    /// <summary>Counts and reports a peer dropped at the handshake.</summary>
    public void Refuse(Socket peer, string why)
    {
        Interlocked.Increment(ref _refused);
        PeerRejected?.Invoke(new PeerRejection(RemoteOf(peer), PeerRejectionKind.Refused, why));
    }

    /// <summary>Counts and reports an authenticated peer cut for breaking the protocol.</summary>
    public void Cut(Socket peer, string why)
    {
        Interlocked.Increment(ref _cut);
        PeerRejected?.Invoke(new PeerRejection(RemoteOf(peer), PeerRejectionKind.ProtocolViolation, why));
    }

    /// <summary>
    /// Counts and reports a peer that ran out of <see cref="AuthenticationTimeout"/>: refused when it had not finished
    /// the handshake, cut when it had (proved the secret) but sent no range request in time.
    /// </summary>
    public void TimedOut(Socket peer, bool authenticated)
    {
        string late = $"within {AuthenticationTimeout.TotalSeconds:0.#} s";
        if (authenticated) Cut(peer, $"it did not send its range request {late}");
        else Refuse(peer, $"it did not finish the handshake {late}");
    }

    /// <summary>Counts and reports an authenticated peer whose first request is not a range request with a model id of a valid length.</summary>
    public void CutFirstRequest(Socket peer) =>
        Cut(peer, $"its first request is not a range request with a model id of 1 to {TransferRequest.MaxModelIdBytes} bytes");

    /// <summary>Called by each connection once it has stopped touching its source.</summary>
    public void ConnectionEnded()
    {
        int left = Interlocked.Decrement(ref _active);
        ConnectionClosed?.Invoke();
        if (left == 0 && _stopping.IsCancellationRequested) _drained.TrySetResult();
    }

    /// <summary>
    /// Stops listening and closes every connection (their peers see the source lost), then waits for them; false when
    /// it had already stopped. <paramref name="listenerClosed"/> runs as soon as no new peer can connect.
    /// </summary>
    public async Task<bool> StopAsync(Action? listenerClosed = null)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return false;
        await _stopping.CancelAsync().ConfigureAwait(false);
        listener.Dispose();
        listenerClosed?.Invoke();
        await _accepting.ConfigureAwait(false);
        if (Volatile.Read(ref _active) == 0) _drained.TrySetResult();
        await _drained.Task.ConfigureAwait(false);
        _stopping.Dispose();
        return true;
    }

    /// <summary>Counts and reports a connection that failed unexpectedly, so no error of one peer's connection goes unseen.</summary>
    private async Task ObserveAsync(Task connection)
    {
        try
        {
            await connection.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _faulted);
            ConnectionFaulted?.Invoke(e);
        }
    }

    /// <summary>The peer's address; over a Unix socket (shared memory, CUDA IPC) peers have none, so the socket it came through.</summary>
    private string RemoteOf(Socket socket)
    {
        if (socket.AddressFamily == AddressFamily.Unix) return $"a local process on {Address}";
        try
        {
            return socket.RemoteEndPoint?.ToString() is { Length: > 0 } remote ? remote : "unknown";
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            return "unknown";
        }
    }

    private async Task AcceptAsync(Func<Socket, CancellationToken, Task> serve)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || _stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // A peer that gave up while queued (ECONNABORTED): keep accepting the others.
                continue;
            }
            Interlocked.Increment(ref _active);
            _ = ObserveAsync(serve(socket, _stopping.Token));
        }
    }
}
