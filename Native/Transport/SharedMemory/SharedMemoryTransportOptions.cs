namespace BlitzScale.Native.Transport.SharedMemory;

/// <summary>Settings of <see cref="SharedMemoryBlobTransport"/>.</summary>
public sealed class SharedMemoryTransportOptions
{
    /// <summary>Default time to connect, authenticate and map the ring.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long connecting, the handshake and mapping the server's ring may take before the source counts as lost.</summary>
    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (ConnectTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "the connect timeout must be positive");
    }
}
