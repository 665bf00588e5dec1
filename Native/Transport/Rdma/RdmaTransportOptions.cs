namespace BlitzScale.Native.Transport.Rdma;

/// <summary>Settings of <see cref="RdmaBlobTransport"/>.</summary>
public sealed class RdmaTransportOptions
{
    /// <summary>Default receives kept posted: writes that may land before this side polls them.</summary>
    public const int DefaultReceiveDepth = 64;
    /// <summary>Default time to connect, authenticate and connect the queue pairs.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The verbs device to use, e.g. <c>mlx5_0</c>; null takes the first one with an active port.</summary>
    public string? Device { get; set; }

    /// <summary>The device port (from 1).</summary>
    public int Port { get; set; } = 1;

    /// <summary>The local GID index for the global route header (RoCE v2 usually needs the IPv4-mapped entry, often 1 or 3).</summary>
    public int GidIndex { get; set; }

    /// <summary>Zero-length receives kept posted; each incoming write with immediate consumes one. More hides polling gaps.</summary>
    public int ReceiveDepth { get; set; } = DefaultReceiveDepth;

    /// <summary>How long the side channel, the handshake and the queue-pair exchange may take before the source counts as lost.</summary>
    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>
    /// Whether the server must send every chunk's header with its MAC under the session key (it says so in its hello);
    /// a server that does not is refused. On by default, as <see cref="TcpTransportOptions.RequireChunkAuthentication"/>.
    /// </summary>
    public bool RequireChunkAuthentication { get; set; } = true;

    /// <summary>
    /// How long a started transfer waits for the next write or header before the source counts as lost, as
    /// <see cref="TcpTransportOptions.IdleTimeout"/> (60 s by default).
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TcpTransportOptions.DefaultIdleTimeout;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        RdmaServerOptions.ValidatePort(Port, GidIndex);
        if (ReceiveDepth is < 1 or > 16384)
            throw new ArgumentOutOfRangeException(nameof(ReceiveDepth), ReceiveDepth, "the receive depth must be between 1 and 16384");
        if (ConnectTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "the connect timeout must be positive");
        if (IdleTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "the idle timeout must be positive");
    }
}
