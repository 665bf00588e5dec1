namespace BlitzScale.Native.Transport;

/// <summary>
/// Picks the transport for fetching from a peer: the same process copies in memory; another process on the host goes
/// through shared memory; another host goes over RDMA when both ends have an active port; anything else over TCP. The
/// reason says why, and names what was missing for each faster transport passed over, so it can be logged as is.
/// </summary>
public static class TransportSelection
{
    /// <summary>The transport <paramref name="local"/> should fetch from <paramref name="peer"/> with.</summary>
    public static TransportChoice Choose(TransportEndpoint local, TransportEndpoint peer)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(peer);
        bool sameHost = string.Equals(local.Host, peer.Host, StringComparison.OrdinalIgnoreCase);
        if (sameHost && string.Equals(local.Process, peer.Process, StringComparison.Ordinal))
            return new TransportChoice(TransportKind.SameProcess, $"peer {peer.Process} is this process: copying in memory");

        string? passedOver = null;
        if (sameHost)
        {
            if (local.SharedMemory && peer.SharedMemory)
                return new TransportChoice(TransportKind.SharedMemory, $"peer {peer.Process} is another process on host {peer.Host}: using shared memory");
            passedOver = $"shared memory unavailable {Where(local.SharedMemoryUnavailable, peer)}: {local.SharedMemoryUnavailable ?? peer.SharedMemoryUnavailable}; ";
        }

        if (local.Rdma && peer.Rdma)
        {
            string where = sameHost ? $"on host {peer.Host}" : $"on hosts {local.Host} and {peer.Host}";
            return new TransportChoice(TransportKind.Rdma, $"{passedOver}both ends of {peer.Process} have an active RDMA port {where}: using RDMA");
        }
        return new TransportChoice(TransportKind.Tcp,
            $"{passedOver}RDMA unavailable {Where(local.RdmaUnavailable, peer)}: {local.RdmaUnavailable ?? peer.RdmaUnavailable}; using TCP");
    }

    /// <summary>Which end lacked it: this node when it has a reason, else the peer.</summary>
    private static string Where(string? localReason, TransportEndpoint peer) =>
        localReason is not null ? "on this node" : $"on peer {peer.Process} (host {peer.Host})";
}
