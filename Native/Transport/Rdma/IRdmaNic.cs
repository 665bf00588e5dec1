using BlitzScale.Native.Transport.Rdma.Verbs;

namespace BlitzScale.Native.Transport.Rdma;

/// <summary>
/// One opened RDMA port and its protection domain: what a transfer needs from the NIC. <see cref="VerbsNic"/> is the
/// libibverbs one; tests run the protocol over a software loopback that implements the same few operations.
/// </summary>
internal interface IRdmaNic : IDisposable
{
    /// <summary>For messages, e.g. <c>mlx5_0 port 1</c>.</summary>
    string Name { get; }

    /// <summary>How peers address this port.</summary>
    RdmaPortAddress Address { get; }

    /// <summary>Registers <c>[address, address + length)</c> (pinning it); with <paramref name="remoteWrite"/> peers may RDMA-write into it.</summary>
    IRdmaRegion Register(nint address, long length, bool remoteWrite);

    /// <summary>A reliable-connected queue pair in the INIT state, with its own completion queue.</summary>
    IRdmaQueuePair CreateQueuePair(int sendDepth, int receiveDepth);
}

/// <summary>A registered memory region.</summary>
internal interface IRdmaRegion : IDisposable
{
    nint Address { get; }
    long Length { get; }
    /// <summary>The key local work requests name the region by.</summary>
    uint LocalKey { get; }
    /// <summary>The key a peer names the region by in its RDMA writes.</summary>
    uint RemoteKey { get; }
}

/// <summary>A reliable-connected queue pair and its completion queue. Not thread-safe: one loop drives it.</summary>
internal interface IRdmaQueuePair : IDisposable
{
    uint Number { get; }

    /// <summary>The packet sequence number its sends start at (random, 24 bits).</summary>
    uint InitialPsn { get; }

    /// <summary>Moves INIT → RTR → RTS towards <paramref name="remote"/>.</summary>
    void Connect(RdmaConnectionInfo remote);

    /// <summary>
    /// Posts one signaled RDMA WRITE WITH IMMEDIATE of <c>[localAddress, + length)</c> to the peer's
    /// <paramref name="remoteAddress"/>; the peer consumes one posted receive and sees <paramref name="immediate"/> in it.
    /// </summary>
    void PostWriteWithImmediate(ulong workRequestId, nint localAddress, int length, uint localKey, ulong remoteAddress, uint remoteKey, uint immediate);

    /// <summary>Posts one zero-length receive, consumed by one incoming write with immediate.</summary>
    void PostReceive(ulong workRequestId);

    /// <summary>Takes up to <c>completions.Length</c> completions without waiting; returns how many.</summary>
    int Poll(Span<RdmaCompletion> completions);
}

/// <summary>How peers address a port: InfiniBand by LID, RoCE by GID (then every packet carries a global route header).</summary>
internal readonly record struct RdmaPortAddress(byte Port, int GidIndex, ushort Lid, UInt128 Gid, IbvMtu Mtu, RdmaLinkLayer LinkLayer);

/// <summary>What a completion says happened.</summary>
internal enum RdmaCompletionKind
{
    /// <summary>Our RDMA write has been placed in the peer's memory (RC: acknowledged).</summary>
    WriteSent,
    /// <summary>A peer's write with immediate has been placed in our memory; <see cref="RdmaCompletion.Immediate"/> is valid.</summary>
    WriteReceived,
    /// <summary>Anything else; with a failed status, the opcode is not reported at all.</summary>
    Other,
}

/// <summary>One work completion, in host byte order.</summary>
internal readonly record struct RdmaCompletion(ulong WorkRequestId, RdmaCompletionKind Kind, IbvWcStatus Status, uint Immediate)
{
    public bool Succeeded => Status == IbvWcStatus.Success;
}
