using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace BlitzScale.Native.Transport;

/// <summary>
/// Serves the blobs of registered images to authenticated peers over TCP (the peers use <see cref="TcpBlobTransport"/>).
/// Register an <see cref="ImageSink"/> that is still being filled and the server forwards each chunk as soon as it has
/// landed: that is a node of a multicast chain.
/// </summary>
public sealed class BlobServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly byte[] _secret;
    private readonly ConcurrentDictionary<string, IBlobSource> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ServerConnection, string> _serving = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _accepting = Task.CompletedTask;
    private int _active;
    private int _refused;
    private int _disposed;

    private BlobServer(Socket listener, byte[] secret, BlobServerOptions options)
    {
        _listener = listener;
        _secret = secret;
        Options = options;
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        Address = LocalEndPoint.ToString();
    }

    /// <summary>Listens on <paramref name="listenOn"/> (port 0 picks a free port) and starts accepting peers.</summary>
    /// <param name="listenOn">Address and port to listen on.</param>
    /// <param name="clusterSecret">The secret peers must prove they hold (copied).</param>
    /// <param name="options">Socket and handshake settings.</param>
    /// <exception cref="ArgumentException">The secret is shorter than 16 bytes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public static BlobServer Start(IPEndPoint listenOn, byte[] clusterSecret, BlobServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(listenOn);
        var secret = ClusterAuth.CopySecret(clusterSecret, nameof(clusterSecret));
        options ??= new BlobServerOptions();
        options.Validate();
        var listener = new Socket(listenOn.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // Accepted sockets inherit the receive buffer; setting it before listen lets TCP advertise a large window.
            listener.ReceiveBufferSize = options.SocketBufferBytes;
            listener.Bind(listenOn);
            listener.Listen(128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        var server = new BlobServer(listener, secret, options);
        server._accepting = server.AcceptAsync();
        return server;
    }

    /// <summary>The address and port it listens on.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The <c>host:port</c> peers pass to <see cref="TcpBlobTransport.TransferAsync"/>.</summary>
    public string Address { get; }

    /// <summary>Connections being served.</summary>
    public int ActiveConnections => Volatile.Read(ref _active);

    /// <summary>Connections dropped because the peer did not prove it holds the cluster secret.</summary>
    public int RefusedConnections => Volatile.Read(ref _refused);

    internal BlobServerOptions Options { get; }

    /// <summary>Test hook: called before each chunk is sent; true sends it with one byte flipped (the hash stays right).</summary>
    internal Func<int, long, bool>? CorruptOnSend { get; set; }

    /// <summary>Test hook: raised after a connection has closed and <see cref="ActiveConnections"/> has dropped.</summary>
    internal event Action? ConnectionClosed;

    /// <summary>Serves <paramref name="source"/> under <paramref name="modelId"/>, replacing what was registered under it.</summary>
    public void Register(string modelId, IBlobSource source)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        ArgumentNullException.ThrowIfNull(source);
        _models[modelId] = source;
    }

    /// <summary>Stops serving <paramref name="modelId"/> to new transfers; false when it was not registered.</summary>
    public bool Unregister(string modelId) => _models.TryRemove(modelId, out _);

    /// <summary>
    /// Stops serving <paramref name="modelId"/>: unregisters it, cuts the connections sending it (their peers see the
    /// source lost) and completes once none of them touches its memory any more, so the image may then be freed.
    /// </summary>
    public async Task RetireAsync(string modelId)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        _models.TryRemove(modelId, out _);
        var sending = _serving.Where(c => c.Value == modelId).Select(c => c.Key).ToList();
        foreach (var connection in sending) connection.Cut();
        await Task.WhenAll(sending.Select(c => c.Ended)).ConfigureAwait(false);
    }

    internal IBlobSource? Find(string modelId) => _models.GetValueOrDefault(modelId);

    /// <summary>Records that a connection reads <paramref name="source"/>; false when the source was retired meanwhile.</summary>
    internal bool Serving(ServerConnection connection, string modelId, IBlobSource source)
    {
        _serving[connection] = modelId;
        if (ReferenceEquals(_models.GetValueOrDefault(modelId), source)) return true;
        _serving.TryRemove(connection, out _);
        return false;
    }

    internal void NotServing(ServerConnection connection) => _serving.TryRemove(connection, out _);

    internal byte[] Secret => _secret;

    internal void CountRefused() => Interlocked.Increment(ref _refused);

    /// <summary>Stops listening and closes every connection (their peers see the source lost), then waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        if (Volatile.Read(ref _active) == 0) _drained.TrySetResult();
        await _drained.Task.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
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
            _ = new ServerConnection(this, socket).RunAsync(_stopping.Token);
        }
    }

    internal void ConnectionEnded()
    {
        int left = Interlocked.Decrement(ref _active);
        ConnectionClosed?.Invoke();
        if (left == 0 && _stopping.IsCancellationRequested) _drained.TrySetResult();
    }
}
