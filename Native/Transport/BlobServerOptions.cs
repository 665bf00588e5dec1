namespace BlitzScale.Native.Transport;

/// <summary>Settings of <see cref="BlobServer"/>.</summary>
public sealed class BlobServerOptions
{
    /// <summary>Default socket send and receive buffer: 4 MiB.</summary>
    public const int DefaultSocketBufferBytes = 4 << 20;
    /// <summary>Default time a connecting peer has to answer the challenge.</summary>
    public static readonly TimeSpan DefaultAuthenticationTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Socket send and receive buffer size, in bytes (the kernel may cap it).</summary>
    public int SocketBufferBytes { get; set; } = DefaultSocketBufferBytes;

    /// <summary>How long a connecting peer has to answer the challenge and send its request before it is dropped.</summary>
    public TimeSpan AuthenticationTimeout { get; set; } = DefaultAuthenticationTimeout;

    /// <summary>
    /// Whether every chunk is sent with its MAC (AES-256-GMAC) under the connection's session key (announced in the hello), so a
    /// peer that can write into the connection cannot forge parameters; on by default. Off only to measure its cost.
    /// </summary>
    public bool AuthenticateChunks { get; set; } = true;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (SocketBufferBytes < 64 << 10)
            throw new ArgumentOutOfRangeException(nameof(SocketBufferBytes), SocketBufferBytes, "the socket buffer must be at least 64 KiB");
        if (AuthenticationTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(AuthenticationTimeout), AuthenticationTimeout, "the authentication timeout must be positive");
    }
}
