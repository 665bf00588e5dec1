namespace BlitzScale.Native.Transport.Rdma;

/// <summary>One port of an RDMA device, as <see cref="RdmaDevices.Probe"/> found it.</summary>
/// <param name="Device">The verbs device name, e.g. <c>mlx5_0</c>.</param>
/// <param name="Port">The port number (from 1).</param>
/// <param name="State">Whether the port can carry traffic (<see cref="RdmaPortState.Active"/>).</param>
/// <param name="LinkLayer">InfiniBand (LID-addressed) or Ethernet (RoCE, GID-addressed).</param>
/// <param name="Lid">The port's local identifier (InfiniBand; 0 under RoCE).</param>
/// <param name="Gid">The GID at the probed index, as an IPv6 address.</param>
/// <param name="ActiveMtuBytes">The active path MTU in bytes.</param>
public sealed record RdmaPortInfo(string Device, int Port, RdmaPortState State, RdmaLinkLayer LinkLayer, int Lid, string Gid, int ActiveMtuBytes)
{
    /// <summary>Whether the port can carry traffic now.</summary>
    public bool IsActive => State is RdmaPortState.Active or RdmaPortState.ActiveDefer;

    /// <inheritdoc/>
    public override string ToString() => $"{Device} port {Port} ({LinkLayer}, {State}, LID {Lid}, GID {Gid}, MTU {ActiveMtuBytes})";
}

/// <summary>Whether this machine can do RDMA, and why not when it cannot.</summary>
/// <param name="Available">True when at least one probed port is active.</param>
/// <param name="Reason">
/// A sentence for the log: which ports are usable, or precisely why none is (library missing, no kernel support, no
/// device, port down).
/// </param>
/// <param name="Ports">Every port probed, active or not.</param>
public sealed record RdmaProbeResult(bool Available, string Reason, IReadOnlyList<RdmaPortInfo> Ports)
{
    /// <summary>RDMA cannot be used, for <paramref name="reason"/>.</summary>
    public static RdmaProbeResult Unavailable(string reason, IReadOnlyList<RdmaPortInfo>? ports = null) => new(false, reason, ports ?? []);

    /// <summary>The verdict on the ports found: available when one is active, else why each one is not.</summary>
    public static RdmaProbeResult From(IReadOnlyList<RdmaPortInfo> ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        if (ports.Count == 0) return Unavailable("libibverbs found no RDMA device");
        var active = ports.Where(p => p.IsActive).ToList();
        return active.Count > 0
            ? new RdmaProbeResult(true, $"RDMA available on {string.Join(", ", active)}", ports)
            : Unavailable($"no RDMA port is active: {string.Join(", ", ports.Select(p => $"{p.Device} port {p.Port} is {p.State}"))}", ports);
    }

    /// <summary>The first active port, or the one named, when RDMA is available there.</summary>
    /// <exception cref="RdmaUnavailableException">No such port is active; the message says why.</exception>
    public RdmaPortInfo Choose(string? device = null, int port = 1)
    {
        if (!Available && Ports.Count == 0) throw new RdmaUnavailableException(Reason);
        var candidates = Ports.Where(p => device is null || (p.Device == device && p.Port == port)).ToList();
        if (device is not null && candidates.Count == 0)
        {
            var known = Ports.Count == 0 ? "none" : string.Join(", ", Ports.Select(p => $"{p.Device} port {p.Port}"));
            throw new RdmaUnavailableException($"RDMA device {device} port {port} was not found (found: {known})");
        }
        return candidates.FirstOrDefault(p => p.IsActive)
            ?? throw new RdmaUnavailableException(device is null ? Reason : $"{device} port {port} is {candidates[0].State}");
    }
}
