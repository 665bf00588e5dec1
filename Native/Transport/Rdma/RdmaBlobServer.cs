using System.Net;
using System.Net.Sockets;
using BlitzScale.Native.Transport.Rdma.Verbs;
using BlitzScale.Native.Transport.SharedMemory;

namespace BlitzScale.Native.Transport.Rdma;

/// <summary>
/// Serves the blobs of registered images to authenticated peers over RDMA (the peers use
/// <see cref="RdmaBlobTransport"/>): a TCP side channel for the handshake, queue-pair exchange and chunk hashes, and
/// each chunk written by the NIC straight from the registered source image into the peer's registered target image.
/// Register an <see cref="ImageSink"/> that is still being filled and each chunk is written as soon as it has landed:
/// that is a node of a multicast chain.
/// </summary>
public sealed class RdmaBlobServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly ServedModels<IBlobSource> _models = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _accepting = Task.CompletedTask;
    private int _active;
    private int _refused;
    private int _disposed;

    private RdmaBlobServer(Socket listener, byte[] secret, IRdmaNic nic, RdmaServerOptions options)
    {
        _listener = listener;
        Secret = secret;
        Nic = nic;
        Options = options;
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        Address = LocalEndPoint.ToString();
    }

    /// <summary>
    /// Opens the RDMA device, listens for side-channel connections on <paramref name="listenOn"/> (port 0 picks a
    /// free port) and starts accepting peers.
    /// </summary>
    /// <param name="listenOn">Address and port of the TCP side channel.</param>
    /// <param name="clusterSecret">The secret peers must prove they hold (copied).</param>
    /// <param name="options">Device, queue and handshake settings.</param>
    /// <exception cref="RdmaUnavailableException">RDMA cannot be used on this machine (or that device port); the message says why.</exception>
    /// <exception cref="RdmaException">Opening the device failed.</exception>
    /// <exception cref="ArgumentException">The secret is shorter than 16 bytes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public static RdmaBlobServer Start(IPEndPoint listenOn, byte[] clusterSecret, RdmaServerOptions? options = null)
    {
        options ??= new RdmaServerOptions();
        options.Validate();
        ClusterAuth.CopySecret(clusterSecret, nameof(clusterSecret));
        var nic = VerbsNic.Open(options.Device, options.Port, options.GidIndex);
        try
        {
            return Start(listenOn, clusterSecret, nic, options);
        }
        catch
        {
            nic.Dispose();
            throw;
        }
    }

    /// <summary>Starts over a NIC the caller opened; the server owns it from here and disposes it last.</summary>
    internal static RdmaBlobServer Start(IPEndPoint listenOn, byte[] clusterSecret, IRdmaNic nic, RdmaServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(listenOn);
        ArgumentNullException.ThrowIfNull(nic);
        var secret = ClusterAuth.CopySecret(clusterSecret, nameof(clusterSecret));
        options ??= new RdmaServerOptions();
        options.Validate();
        var listener = new Socket(listenOn.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(listenOn);
            listener.Listen(128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        var server = new RdmaBlobServer(listener, secret, nic, options);
        server._accepting = server.AcceptAsync();
        return server;
    }

    /// <summary>The side channel's address and port.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The <c>host:port</c> peers pass to <see cref="RdmaBlobTransport.TransferAsync"/>.</summary>
    public string Address { get; }

    /// <summary>Connections being served.</summary>
    public int ActiveConnections => Volatile.Read(ref _active);

    /// <summary>Connections dropped because the peer did not prove it holds the cluster secret.</summary>
    public int RefusedConnections => Volatile.Read(ref _refused);

    internal byte[] Secret { get; }
    internal IRdmaNic Nic { get; }
    internal RdmaServerOptions Options { get; }
    internal ServedModels<IBlobSource> Models => _models;

    /// <summary>Test hook: raised after a connection has closed and <see cref="ActiveConnections"/> has dropped.</summary>
    internal event Action? ConnectionClosed;

    /// <summary>
    /// Serves <paramref name="source"/> under <paramref name="modelId"/>, replacing what was registered under it. The
    /// source's bytes must be native image memory (<see cref="ImageSource"/>, <see cref="ImageSink"/>): each transfer
    /// registers the whole image with the NIC and writes from it directly.
    /// </summary>
    public void Register(string modelId, IBlobSource source) => _models.Register(modelId, source);

    /// <summary>Stops serving <paramref name="modelId"/> to new transfers; false when it was not registered.</summary>
    public bool Unregister(string modelId) => _models.Unregister(modelId);

    /// <summary>
    /// Stops serving <paramref name="modelId"/>: unregisters it, cuts the connections sending it (their peers see the
    /// source lost) and completes once their queue pairs are destroyed and their regions deregistered, so the NIC no
    /// longer reads the image and it may be freed.
    /// </summary>
    public Task RetireAsync(string modelId) => _models.RetireAsync(modelId);

    internal void CountRefused() => Interlocked.Increment(ref _refused);

    /// <summary>Stops listening, closes every connection (their peers see the source lost), waits for them, then closes the device.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        if (Volatile.Read(ref _active) == 0) _drained.TrySetResult();
        await _drained.Task.ConfigureAwait(false);
        Nic.Dispose();
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
            _ = new RdmaServerConnection(this, socket).RunAsync(_stopping.Token);
        }
    }

    internal void ConnectionEnded()
    {
        int left = Interlocked.Decrement(ref _active);
        ConnectionClosed?.Invoke();
        if (left == 0 && _stopping.IsCancellationRequested) _drained.TrySetResult();
    }
}
