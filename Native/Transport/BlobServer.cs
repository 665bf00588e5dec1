using System.Net;
using System.Net.Sockets;

namespace BlitzScale.Native.Transport;

/// <summary>
/// Serves the blobs of registered images to authenticated peers over TCP (the peers use <see cref="TcpBlobTransport"/>).
/// Register an <see cref="ImageSink"/> that is still being filled and the server forwards each chunk as soon as it has
/// landed: that is a node of a multicast chain.
/// </summary>
public sealed class BlobServer : DataPlaneServer
{
    private BlobServer(ServerCore core, BlobServerOptions options, IPEndPoint localEndPoint)
        : base(core)
    {
        Options = options;
        LocalEndPoint = localEndPoint;
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
        var listener = SocketIo.ListenTcp(listenOn, options.SocketBufferBytes);
        var localEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        var server = new BlobServer(new ServerCore(listener, localEndPoint.ToString(), secret, options.AuthenticationTimeout), options, localEndPoint);
        server.Core.Start((socket, stopping) => new ServerConnection(server, socket).RunAsync(stopping));
        return server;
    }

    /// <summary>
    /// Where activations peers push (<see cref="ActivationPusher"/>) are delivered; null (the default): this server takes
    /// none, and a peer that opens a push stream is cut.
    /// </summary>
    public ActivationInbox? Activations
    {
        get => Core.Activations;
        set => Core.Activations = value;
    }

    /// <summary>The address and port it listens on.</summary>
    public IPEndPoint LocalEndPoint { get; }

    internal BlobServerOptions Options { get; }

    /// <summary>Test hook: called before each chunk is sent; true sends it with one byte flipped (the hash stays right).</summary>
    internal Func<int, long, bool>? CorruptOnSend { get; set; }

    /// <summary>
    /// Test hook: called before each chunk is sent; true sends it with one byte flipped and its hash rewritten to match,
    /// after its MAC was computed (what an attacker who can write into the connection does: only the MAC can tell).
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
    public override async ValueTask DisposeAsync() => await Core.StopAsync().ConfigureAwait(false);
}
