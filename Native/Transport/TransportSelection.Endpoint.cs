using BlitzScale.Native.Transport.Rdma;

namespace BlitzScale.Native.Transport;

/// <summary>
/// What one end of a transfer offers, as published by its node (a silo) and read by the other end: where it runs and
/// which fast paths it has. Plain data, so it can travel in a grain's state or status.
/// </summary>
public sealed record TransportEndpoint
{
    /// <summary>The machine, e.g. its host name; equal on two nodes exactly when they share memory.</summary>
    public required string Host { get; init; }

    /// <summary>The process on that machine, e.g. the silo address; equal on two nodes exactly when they are one process.</summary>
    public required string Process { get; init; }

    /// <summary>Why this node has no shared-memory server; null when it has one.</summary>
    public string? SharedMemoryUnavailable { get; init; }

    /// <summary>Why this node cannot do RDMA (<see cref="RdmaProbeResult.Reason"/>); null when it can.</summary>
    public string? RdmaUnavailable { get; init; }

    /// <summary>Whether this node serves shared memory.</summary>
    public bool SharedMemory => SharedMemoryUnavailable is null;

    /// <summary>Whether this node has an active RDMA port.</summary>
    public bool Rdma => RdmaUnavailable is null;

    /// <summary>The endpoint of this node from its RDMA probe and its shared-memory directory (null: none configured).</summary>
    public static TransportEndpoint Local(string host, string process, RdmaProbeResult rdma, string? sharedMemoryDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentException.ThrowIfNullOrEmpty(process);
        ArgumentNullException.ThrowIfNull(rdma);
        return new TransportEndpoint
        {
            Host = host,
            Process = process,
            SharedMemoryUnavailable = sharedMemoryDirectory is null ? "no shared-memory directory is configured"
                : !Directory.Exists(sharedMemoryDirectory) ? $"shared-memory directory {sharedMemoryDirectory} does not exist"
                : null,
            RdmaUnavailable = rdma.Available ? null : rdma.Reason,
        };
    }

    /// <summary>Probes this machine (<see cref="RdmaDevices.Probe"/>) and describes this node.</summary>
    public static TransportEndpoint ProbeLocal(string process, string? sharedMemoryDirectory, string? host = null) =>
        Local(host ?? Environment.MachineName, process, RdmaDevices.Probe(), sharedMemoryDirectory);
}
