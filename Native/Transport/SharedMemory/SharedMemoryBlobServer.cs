using System.Net.Sockets;

namespace BlitzScale.Native.Transport.SharedMemory;

/// <summary>
/// Serves the blobs of registered images to authenticated processes on this host (the peers use
/// <see cref="SharedMemoryBlobTransport"/>): control over a Unix domain socket, chunk bytes through a shared-memory
/// staging ring per connection. It stands for NVLink between GPUs of one host that belong to different silo
/// processes. Register an <see cref="ImageSink"/> that is still being filled and each chunk is served as soon as it
/// has landed: that is a node of a multicast chain.
/// </summary>
public sealed class SharedMemoryBlobServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly ServedModels<IBlobSource> _models = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _accepting = Task.CompletedTask;
    private int _active;
    private int _refused;
    private int _disposed;

    private SharedMemoryBlobServer(Socket listener, string address, string name, byte[] secret, SharedMemoryServerOptions options)
    {
        _listener = listener;
        Address = address;
        Name = name;
        Secret = secret;
        Options = options;
        RingDirectory = Path.GetDirectoryName(address)!;
    }

    /// <summary>
    /// Listens on the Unix socket <c>{directory}/{name}.sock</c> and starts accepting peers; staging rings are created
    /// in the same directory (use /dev/shm, or another memory-backed directory, so they never touch a disk).
    /// </summary>
    /// <param name="directory">An existing directory both processes can reach, e.g. <c>/dev/shm</c>.</param>
    /// <param name="name">This server's name on the host (letters, digits, <c>.</c>, <c>-</c>, <c>_</c>), e.g. <c>silo1-gpu0</c>.</param>
    /// <param name="clusterSecret">The secret peers must prove they hold (copied).</param>
    /// <param name="options">Staging and handshake settings.</param>
    /// <exception cref="ArgumentException">The secret is shorter than 16 bytes, the name is not a plain name, or the socket path is too long.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="IOException">Another live server listens on the same path.</exception>
    /// <exception cref="SocketException">The socket cannot be bound.</exception>
    public static SharedMemoryBlobServer Start(string directory, string name, byte[] clusterSecret, SharedMemoryServerOptions? options = null)
    {
        var secret = ClusterAuth.CopySecret(clusterSecret, nameof(clusterSecret));
        options ??= new SharedMemoryServerOptions();
        options.Validate();
        string path = UnixSocketPath.For(directory, name);
        var server = new SharedMemoryBlobServer(UnixSocketPath.Listen(path, 128), path, name, secret, options);
        server._accepting = server.AcceptAsync();
        return server;
    }

    /// <summary>The socket path peers pass to <see cref="SharedMemoryBlobTransport.TransferAsync"/>.</summary>
    public string Address { get; }

    /// <summary>Connections being served.</summary>
    public int ActiveConnections => Volatile.Read(ref _active);

    /// <summary>Connections dropped because the peer did not prove it holds the cluster secret.</summary>
    public int RefusedConnections => Volatile.Read(ref _refused);

    internal string Name { get; }
    internal string RingDirectory { get; }
    internal byte[] Secret { get; }
    internal SharedMemoryServerOptions Options { get; }
    internal ServedModels<IBlobSource> Models => _models;

    /// <summary>Test hook: called after each chunk is staged; true flips one byte of the staged copy (the hash stays right).</summary>
    internal Func<int, long, bool>? CorruptOnSend { get; set; }

    /// <summary>Test hook: raised after a connection has closed and <see cref="ActiveConnections"/> has dropped.</summary>
    internal event Action? ConnectionClosed;

    /// <summary>Serves <paramref name="source"/> under <paramref name="modelId"/>, replacing what was registered under it.</summary>
    public void Register(string modelId, IBlobSource source) => _models.Register(modelId, source);

    /// <summary>Stops serving <paramref name="modelId"/> to new transfers; false when it was not registered.</summary>
    public bool Unregister(string modelId) => _models.Unregister(modelId);

    /// <summary>
    /// Stops serving <paramref name="modelId"/>: unregisters it, cuts the connections sending it (their peers see the
    /// source lost) and completes once none of them touches its memory any more, so the image may then be freed.
    /// </summary>
    public Task RetireAsync(string modelId) => _models.RetireAsync(modelId);

    internal void CountRefused() => Interlocked.Increment(ref _refused);

    /// <summary>Stops listening and closes every connection (their peers see the source lost), then waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        File.Delete(Address);
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
                // A peer that gave up while queued: keep accepting the others.
                continue;
            }
            Interlocked.Increment(ref _active);
            _ = new SharedMemoryConnection(this, socket).RunAsync(_stopping.Token);
        }
    }

    internal void ConnectionEnded()
    {
        int left = Interlocked.Decrement(ref _active);
        ConnectionClosed?.Invoke();
        if (left == 0 && _stopping.IsCancellationRequested) _drained.TrySetResult();
    }
}
