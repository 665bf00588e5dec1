using System.Net;
using System.Net.Sockets;
using BlitzScale.Native.Transport.Rdma.Verbs;

namespace BlitzScale.Native.Transport.Rdma;

/// <summary>
/// Serves the blobs of registered images to authenticated peers over RDMA (the peers use
/// <see cref="RdmaBlobTransport"/>): a TCP side channel for the handshake, queue-pair exchange and chunk hashes, and
/// each chunk written by the NIC straight from the registered source image into the peer's registered target image.
/// Register an <see cref="ImageSink"/> that is still being filled and each chunk is written as soon as it has landed:
/// that is a node of a multicast chain.
/// </summary>
public sealed class RdmaBlobServer : DataPlaneServer
{
    private RdmaBlobServer(ServerCore core, IRdmaNic nic, RdmaServerOptions options, IPEndPoint localEndPoint)
        : base(core)
    {
        Nic = nic;
        Options = options;
        LocalEndPoint = localEndPoint;
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
        var listener = SocketIo.ListenTcp(listenOn);
        var localEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        var server = new RdmaBlobServer(new ServerCore(listener, localEndPoint.ToString(), secret, options.AuthenticationTimeout), nic, options, localEndPoint);
        server.Core.Start((socket, stopping) => new RdmaServerConnection(server, socket).RunAsync(stopping));
        return server;
    }

    /// <summary>The side channel's address and port.</summary>
    public IPEndPoint LocalEndPoint { get; }

    internal IRdmaNic Nic { get; }
    internal RdmaServerOptions Options { get; }

    /// <summary>
    /// Test hook: called before each chunk's header is sent; true sends the header with the hash of the chunk's bytes
    /// with one byte flipped (its MAC stays over the true bytes), for a NIC stand-in that flips that byte of the write.
    /// </summary>
    internal Func<int, long, bool>? ForgeOnSend { get; set; }

    /// <summary>
    /// Serves <paramref name="source"/> under <paramref name="modelId"/>, replacing what was registered under it. The
    /// source's bytes must be native image memory (<see cref="ImageSource"/>, <see cref="ImageSink"/>): each transfer
    /// registers the whole image with the NIC and writes from it directly.
    /// </summary>
    public void Register(string modelId, IBlobSource source) => Core.Models.Register(modelId, source);

    /// <summary>Stops serving <paramref name="modelId"/> to new transfers; false when it was not registered.</summary>
    public bool Unregister(string modelId) => Core.Models.Unregister(modelId);

    /// <summary>
    /// Stops serving <paramref name="modelId"/>: unregisters it, cuts the connections sending it (their peers see the
    /// source lost) and completes once their queue pairs are destroyed and their regions deregistered, so the NIC no
    /// longer reads the image and it may be freed.
    /// </summary>
    public Task RetireAsync(string modelId) => Core.Models.RetireAsync(modelId);

    /// <summary>Stops listening, closes every connection (their peers see the source lost), waits for them, then closes the device.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (await Core.StopAsync().ConfigureAwait(false)) Nic.Dispose();
    }
}
