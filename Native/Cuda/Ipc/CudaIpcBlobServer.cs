using System.Collections.Concurrent;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using BlitzScale.Native.Transport.SharedMemory;

namespace BlitzScale.Native.Cuda.Ipc;

/// <summary>
/// Serves device-resident parameter images to authenticated processes on this host (peers use
/// <see cref="CudaIpcBlobTransport"/>): control over a Unix domain socket, bytes copied device to device by the peer
/// through the image's CUDA IPC handle. Each chunk's hash and MAC (under the connection's session key) are computed
/// here over the bytes read back from the device, so the peer's check covers exactly what it copied. Protocol: see
/// <c>CudaIpcWire.cs</c>.
/// </summary>
/// <remarks>
/// Registered images must be complete in the requested range and stay allocated while peers may copy from them:
/// dispose the server (or unregister the model and let transfers finish) before freeing one.
/// </remarks>
public sealed class CudaIpcBlobServer : DataPlaneServer
{
    private readonly ConcurrentDictionary<string, CudaIpcSource> _models = new(StringComparer.Ordinal);

    private CudaIpcBlobServer(ServerCore core, CudaContext context)
        : base(core)
    {
        Context = context;
    }

    /// <summary>Listens on the Unix socket <c>{directory}/{name}.sock</c> and starts accepting peers.</summary>
    /// <param name="directory">An existing directory both processes can reach, e.g. <c>/dev/shm</c>.</param>
    /// <param name="name">This server's name on the host (letters, digits, <c>.</c>, <c>-</c>, <c>_</c>), e.g. <c>silo1-gpu0</c>.</param>
    /// <param name="clusterSecret">The secret peers must prove they hold (copied).</param>
    /// <param name="context">The context of the registered images (used to read chunks back for their hashes).</param>
    /// <exception cref="ArgumentException">The secret is shorter than 16 bytes, the name is not a plain name, or the path is too long.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="IOException">Another live server listens on the same path.</exception>
    public static CudaIpcBlobServer Start(string directory, string name, byte[] clusterSecret, CudaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var secret = ClusterAuth.CopySecret(clusterSecret, nameof(clusterSecret));
        string path = UnixSocketPath.For(directory, name);
        var core = new ServerCore(UnixSocketPath.Listen(path, 128), path, secret, BlobServerOptions.DefaultAuthenticationTimeout);
        var server = new CudaIpcBlobServer(core, context);
        core.Start((socket, stopping) => new CudaIpcConnection(server, socket).RunAsync(stopping));
        return server;
    }

    internal CudaContext Context { get; }

    /// <summary>
    /// Serves the device image <paramref name="image"/> (blob b at <c>imageOffset + layout.Blobs[b].Offset</c>) under
    /// <paramref name="modelId"/>, replacing what was registered under it; exports its IPC handle now.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The layout does not fit the buffer at that offset.</exception>
    /// <exception cref="CudaException">cuIpcGetMemHandle failed.</exception>
    public void Register(string modelId, ImageLayout layout, DeviceBuffer image, long imageOffset = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        _models[modelId] = new CudaIpcSource(layout, image, imageOffset);
    }

    /// <summary>Stops serving <paramref name="modelId"/> to new transfers; false when it was not registered.</summary>
    public bool Unregister(string modelId) => _models.TryRemove(modelId, out _);

    internal CudaIpcSource? Find(string modelId) => _models.GetValueOrDefault(modelId);

    /// <summary>Stops listening, closes every connection and waits for them.</summary>
    public override async ValueTask DisposeAsync() => await Core.StopAsync(() => File.Delete(Address)).ConfigureAwait(false);
}
