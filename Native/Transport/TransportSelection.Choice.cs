namespace BlitzScale.Native.Transport;

/// <summary>Which transport moves blobs between two nodes, fastest first.</summary>
public enum TransportKind
{
    /// <summary>Both images are in this process: <see cref="SameHostTransport"/> copies between them.</summary>
    SameProcess,
    /// <summary>Another process on this host: <see cref="SharedMemory.SharedMemoryBlobTransport"/>.</summary>
    SharedMemory,
    /// <summary>Another host, both ends with an active RDMA port: <see cref="Rdma.RdmaBlobTransport"/>.</summary>
    Rdma,
    /// <summary>Anything else: <see cref="TcpBlobTransport"/>.</summary>
    Tcp,
}

/// <summary>The transport to use for a peer, and why, in a sentence to log.</summary>
/// <param name="Kind">The transport.</param>
/// <param name="Reason">Why this one, and why not the faster ones, e.g. "RDMA unavailable on this node: …; using TCP".</param>
public sealed record TransportChoice(TransportKind Kind, string Reason);
