namespace BlitzScale.Native.Transport.Rdma;

/// <summary>Settings of <see cref="RdmaBlobServer"/>.</summary>
public sealed class RdmaServerOptions
{
    /// <summary>Default RDMA writes in flight per connection (the send queue depth).</summary>
    public const int DefaultSendDepth = 16;
    /// <summary>Default time a connecting peer has to answer the challenge and exchange queue-pair details.</summary>
    public static readonly TimeSpan DefaultAuthenticationTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The verbs device to use, e.g. <c>mlx5_0</c>; null takes the first one with an active port.</summary>
    public string? Device { get; set; }

    /// <summary>The device port (from 1).</summary>
    public int Port { get; set; } = 1;

    /// <summary>The local GID index for the global route header (RoCE v2 usually needs the IPv4-mapped entry, often 1 or 3).</summary>
    public int GidIndex { get; set; }

    /// <summary>RDMA writes posted and not yet completed, per connection: 16 × 4 MiB keeps a 400 Gbit/s link busy across a 1 ms stall.</summary>
    public int SendDepth { get; set; } = DefaultSendDepth;

    /// <summary>How long a connecting peer has for the handshake, its request and the queue-pair exchange before it is dropped.</summary>
    public TimeSpan AuthenticationTimeout { get; set; } = DefaultAuthenticationTimeout;

    /// <summary>
    /// Whether every chunk's header on the side channel is followed by its MAC (AES-256-GMAC under the connection's
    /// session key, over the header and the bytes the write carries; announced in the hello), so a peer that can write
    /// into the side channel or the fabric cannot forge parameters; on by default. Off only to measure its cost.
    /// </summary>
    public bool AuthenticateChunks { get; set; } = true;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        ValidatePort(Port, GidIndex);
        if (SendDepth is < 1 or > 16384)
            throw new ArgumentOutOfRangeException(nameof(SendDepth), SendDepth, "the send depth must be between 1 and 16384");
        if (AuthenticationTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(AuthenticationTimeout), AuthenticationTimeout, "the authentication timeout must be positive");
    }

    internal static void ValidatePort(int port, int gidIndex)
    {
        if (port is < 1 or > byte.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(Port), port, "the port number must be between 1 and 255");
        if (gidIndex is < 0 or > byte.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(GidIndex), gidIndex, "the GID index must be between 0 and 255");
    }
}
