using System.Net.Sockets;

namespace BlitzScale.Native.Transport.SharedMemory;

/// <summary>
/// Serves the blobs of registered images to authenticated processes on this host (the peers use
/// <see cref="SharedMemoryBlobTransport"/>): control over a Unix domain socket, chunk bytes through a shared-memory
/// staging ring per connection. It stands for NVLink between GPUs of one host that belong to different silo
/// processes. Register an <see cref="ImageSink"/> that is still being filled and each chunk is served as soon as it
/// has landed: that is a node of a multicast chain.
/// </summary>
public sealed class SharedMemoryBlobServer : DataPlaneServer
{
    private SharedMemoryBlobServer(ServerCore core, string name, SharedMemoryServerOptions options)
        : base(core)
    {
        Name = name;
        Options = options;
        RingDirectory = Path.GetDirectoryName(core.Address)!;
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
        var core = new ServerCore(UnixSocketPath.Listen(path, 128), path, secret, options.AuthenticationTimeout);
        var server = new SharedMemoryBlobServer(core, name, options);
        core.Start((socket, stopping) => new SharedMemoryConnection(server, socket).RunAsync(stopping));
        return server;
    }

    internal string Name { get; }
    internal string RingDirectory { get; }
    internal SharedMemoryServerOptions Options { get; }

    /// <summary>Test hook: called after each chunk is staged; true flips one byte of the staged copy (the hash stays right).</summary>
    internal Func<int, long, bool>? CorruptOnSend { get; set; }

    /// <summary>
    /// Test hook: called after each chunk is staged and its MAC computed; true flips one byte of the staged copy and
    /// rewrites the frame's hash to match (what an attacker who can write the ring and the socket does: only the MAC can tell).
    /// </summary>
    internal Func<int, long, bool>? ForgeOnSend { get; set; }

    /// <summary>Serves <paramref name="source"/> under <paramref name="modelId"/>, replacing what was registered under it.</summary>
    public void Register(string modelId, IBlobSource source) => Core.Models.Register(modelId, source);

    /// <summary>Stops serving <paramref name="modelId"/> to new transfers; false when it was not registered.</summary>
    public bool Unregister(string modelId) => Core.Models.Unregister(modelId);

    /// <summary>
    /// Stops serving <paramref name="modelId"/>: unregisters it, cuts the connections sending it (their peers see the
    /// source lost) and completes once none of them touches its memory any more, so the image may then be freed.
    /// </summary>
    public Task RetireAsync(string modelId) => Core.Models.RetireAsync(modelId);

    /// <summary>Stops listening and closes every connection (their peers see the source lost), then waits for them.</summary>
    public override async ValueTask DisposeAsync() => await Core.StopAsync(() => File.Delete(Address)).ConfigureAwait(false);
}
