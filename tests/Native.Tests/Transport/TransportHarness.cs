using System.Net.Sockets;
using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// One transport as <see cref="TransportConformance{THarness}"/> drives it: peers that serve an image, clients that
/// fetch from them, a hook that corrupts chunks in flight, a peer nobody serves at, and what the transport must have
/// released once its transfers ended. One harness per test; disposing it removes what it made (not the peers, which
/// the test stops before freeing the images they read).
/// </summary>
public abstract class TransportHarness : IDisposable
{
    /// <summary>
    /// Called for every chunk as it travels, with its blob and offset in the blob; true corrupts that copy of it, as a
    /// faulty link would. Applies to every peer and client of this harness, set before or after they were made.
    /// </summary>
    public Func<int, long, bool>? CorruptChunk { get; set; }

    /// <summary>
    /// Transports with a server: called for every chunk as it is sent, with its blob and offset; true alters that copy
    /// of it and rewrites its hash to match, after the sender computed its MAC (what an attacker who can write into the
    /// connection, the ring or the fabric does: only the MAC can tell).
    /// </summary>
    public Func<int, long, bool>? ForgeChunk { get; set; }

    /// <summary>Transports with a server: whether servers started from here on send chunk MACs (the default).</summary>
    public bool ServersSendChunkMacs { get; set; } = true;

    /// <summary>Transports with a server: whether clients made from here on refuse a server that sends no chunk MACs (the default).</summary>
    public bool ClientsRequireChunkMacs { get; set; } = true;

    /// <summary>Transports with a server: the idle timeout of clients made from here on (null: the transport's default).</summary>
    public TimeSpan? ClientIdleTimeout { get; set; }

    /// <summary>A client that proves it holds <paramref name="secret"/> (by default the cluster's).</summary>
    public abstract IBlobTransport Client(byte[]? secret = null);

    /// <summary>Starts a peer that serves <paramref name="source"/> as <see cref="TransportImages.Model"/>.</summary>
    public abstract ServedPeer Serve(IBlobSource source);

    /// <summary>A peer string in this transport's form at which nothing serves.</summary>
    public abstract string AbsentPeer { get; }

    /// <summary>Transports with a server: a bare socket connected to <paramref name="peer"/>, for a test to speak the protocol itself.</summary>
    public virtual Task<Socket> ConnectAsync(string peer) => throw new NotSupportedException("this transport has no server to connect to");

    /// <summary>
    /// Called once every transfer of the test has ended and every connection its peers had has closed: nothing of
    /// those transfers is left (rings, registered regions, queue pairs), only what running peers hold while idle.
    /// </summary>
    public virtual void AssertNothingLeftBehind()
    {
    }

    public virtual void Dispose()
    {
    }
}

/// <summary>A peer serving one image; disposing it stops it, cutting its transfers (their clients see the source lost).</summary>
public abstract class ServedPeer : IAsyncDisposable
{
    /// <summary>What clients pass as the peer.</summary>
    public abstract string Address { get; }

    /// <summary>Connections being served.</summary>
    public abstract int ActiveConnections { get; }

    /// <summary>Connections refused for not proving the cluster secret.</summary>
    public abstract int RefusedConnections { get; }

    /// <summary>Stops serving the model, cuts its transfers and completes once nothing reads its image.</summary>
    public abstract Task RetireAsync();

    /// <summary>Completes the next time a connection closes and leaves none open; call it before starting the transfer.</summary>
    public abstract Task WhenAllConnectionsClosed();

    /// <summary>The peers it refused or cut so far, as its server reported them (<see cref="DataPlaneServer.PeerRejected"/>).</summary>
    public virtual IReadOnlyList<PeerRejection> Rejections => [];

    /// <summary>Connections cut after the handshake for breaking the protocol.</summary>
    public virtual int CutConnections => 0;

    public abstract ValueTask DisposeAsync();
}

/// <summary>
/// A peer that is a blob server on a socket (TCP, shared memory, RDMA's side channel): every one is a
/// <see cref="DataPlaneServer"/>, whose rejections it records from the start.
/// </summary>
internal sealed class ServerPeer : ServedPeer
{
    private readonly DataPlaneServer _server;
    private readonly Func<string, Task> _retire;
    private readonly Func<ValueTask> _stop;
    private readonly List<PeerRejection> _rejections = [];

    public ServerPeer(DataPlaneServer server, Func<string, Task> retire, Func<ValueTask>? stop = null)
    {
        _server = server;
        _retire = retire;
        _stop = stop ?? server.DisposeAsync;
        server.PeerRejected += r =>
        {
            lock (_rejections) _rejections.Add(r);
        };
    }

    public override string Address => _server.Address;
    public override int ActiveConnections => _server.ActiveConnections;
    public override int RefusedConnections => _server.RefusedConnections;
    public override int CutConnections => _server.CutConnections;

    public override IReadOnlyList<PeerRejection> Rejections
    {
        get
        {
            lock (_rejections) return [.. _rejections];
        }
    }

    public override Task RetireAsync() => _retire(Model);

    public override Task WhenAllConnectionsClosed()
    {
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.ConnectionClosed += () =>
        {
            if (_server.ActiveConnections == 0) idle.TrySetResult();
        };
        return idle.Task;
    }

    public override ValueTask DisposeAsync() => _stop();
}
