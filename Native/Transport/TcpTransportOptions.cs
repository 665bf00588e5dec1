namespace BlitzScale.Native.Transport;

/// <summary>Settings of <see cref="TcpBlobTransport"/>.</summary>
public sealed class TcpTransportOptions
{
    /// <summary>Default socket send and receive buffer: 4 MiB, one default chunk in flight in the kernel.</summary>
    public const int DefaultSocketBufferBytes = 4 << 20;
    /// <summary>Default time to connect and authenticate.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Default longest wait for the next frame once a transfer has started.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Socket send and receive buffer size, in bytes (the kernel may cap it).</summary>
    public int SocketBufferBytes { get; set; } = DefaultSocketBufferBytes;

    /// <summary>How long connecting and the handshake may take before the source counts as lost.</summary>
    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>
    /// Whether the server must send every chunk with its MAC under the session key (it says so in its hello); a server
    /// that does not is refused. On by default; off only to measure the MAC's cost against a server that sends none.
    /// </summary>
    public bool RequireChunkAuthentication { get; set; } = true;

    /// <summary>
    /// How long the client waits for the next frame of a started transfer before the source counts as lost (a peer that
    /// stalls, or a chain whose upstream stalls, cannot hold a load forever).
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = DefaultIdleTimeout;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (SocketBufferBytes < 64 << 10)
            throw new ArgumentOutOfRangeException(nameof(SocketBufferBytes), SocketBufferBytes, "the socket buffer must be at least 64 KiB");
        if (ConnectTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "the connect timeout must be positive");
        if (IdleTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "the idle timeout must be positive");
    }
}
