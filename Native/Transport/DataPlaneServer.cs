namespace BlitzScale.Native.Transport;

/// <summary>
/// What every blob server reports, whatever carries its bytes (TCP, the RDMA side channel, shared memory, CUDA IPC):
/// where peers reach it, its connections, and the peers it refused at the handshake or cut for breaking the protocol,
/// so that one observer can log and count them for every transport alike.
/// </summary>
public abstract class DataPlaneServer : IAsyncDisposable
{
    private protected DataPlaneServer(ServerCore core) => Core = core;

    /// <summary>What peers pass to the matching transport's <see cref="IBlobTransport.TransferAsync"/> to reach this server.</summary>
    public string Address => Core.Address;

    /// <summary>Connections being served.</summary>
    public int ActiveConnections => Core.ActiveConnections;

    /// <summary>Connections dropped because the peer did not prove it holds the cluster secret (or not in time).</summary>
    public int RefusedConnections => Core.RefusedConnections;

    /// <summary>Connections cut after the handshake because the peer broke the protocol.</summary>
    public int CutConnections => Core.CutConnections;

    /// <summary>Connections that ended on an error the server did not expect (it keeps serving the others).</summary>
    public int FaultedConnections => Core.FaultedConnections;

    /// <summary>
    /// Raised for every peer refused at the handshake or cut for breaking the protocol, before it is closed (on the
    /// connection's thread: handlers must be quick and must not throw).
    /// </summary>
    public event Action<PeerRejection>? PeerRejected
    {
        add => Core.PeerRejected += value;
        remove => Core.PeerRejected -= value;
    }

    /// <summary>Raised with the error when a connection ends on one the server did not expect.</summary>
    public event Action<Exception>? ConnectionFaulted
    {
        add => Core.ConnectionFaulted += value;
        remove => Core.ConnectionFaulted -= value;
    }

    internal ServerCore Core { get; }

    /// <summary>Test hook: raised after a connection has closed and <see cref="ActiveConnections"/> has dropped.</summary>
    internal event Action? ConnectionClosed
    {
        add => Core.ConnectionClosed += value;
        remove => Core.ConnectionClosed -= value;
    }

    /// <summary>Stops listening and closes every connection (their peers see the source lost), then waits for them.</summary>
    public abstract ValueTask DisposeAsync();
}
