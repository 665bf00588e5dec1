namespace BlitzScale.Native.Transport.SharedMemory;

/// <summary>Settings of <see cref="SharedMemoryBlobServer"/>.</summary>
public sealed class SharedMemoryServerOptions
{
    /// <summary>Default number of staging slots per connection: chunks the server may fill ahead of the client.</summary>
    public const int DefaultSlots = 8;
    /// <summary>Default cap on one connection's staging ring: 64 MiB (16 default-size chunks).</summary>
    public const long DefaultMaxRingBytes = 64L << 20;
    /// <summary>Default time a connecting peer has to answer the challenge.</summary>
    public static readonly TimeSpan DefaultAuthenticationTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Staging slots per connection, each one chunk of the request; at least 2.</summary>
    public int Slots { get; set; } = DefaultSlots;

    /// <summary>
    /// Most bytes one connection's ring may take in the directory: large chunks get fewer slots, but never fewer than
    /// 2, so that one slot fills while the other is copied out.
    /// </summary>
    public long MaxRingBytes { get; set; } = DefaultMaxRingBytes;

    /// <summary>How long a connecting peer has to answer the challenge and send its request before it is dropped.</summary>
    public TimeSpan AuthenticationTimeout { get; set; } = DefaultAuthenticationTimeout;

    /// <summary>
    /// Whether every chunk frame is followed by its MAC (AES-256-GMAC under the connection's session key, over the frame
    /// and the source bytes; announced in the hello), as over TCP; on by default. Off only to measure its cost.
    /// </summary>
    public bool AuthenticateChunks { get; set; } = true;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (Slots is < 2 or > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(Slots), Slots, $"the slot count must be between 2 and {ushort.MaxValue}");
        if (MaxRingBytes < 2L * TransferRequest.MinChunkBytes)
            throw new ArgumentOutOfRangeException(nameof(MaxRingBytes), MaxRingBytes, $"the ring must hold at least two {TransferRequest.MinChunkBytes}-byte chunks");
        if (AuthenticationTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(AuthenticationTimeout), AuthenticationTimeout, "the authentication timeout must be positive");
    }

    /// <summary>Slots for a request cut into <paramref name="chunkBytes"/>-byte chunks.</summary>
    internal int SlotsFor(int chunkBytes) => (int)Math.Clamp(MaxRingBytes / chunkBytes, 2, Slots);
}
