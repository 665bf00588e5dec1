namespace BlitzScale.Native.Transport;

/// <summary>
/// Test paths only: the change every server's test hooks make to a chunk in flight (its middle byte flipped), and the
/// hash an attacker who can write into the connection or the ring would send with it, so that only the chunk's MAC
/// can tell. Never applied to an image: the other peers are served from it.
/// </summary>
internal static class ChunkForgery
{
    public const byte Flip = 0x5A;

    /// <summary>A copy of <paramref name="bytes"/> with its middle byte flipped.</summary>
    public static byte[] Altered(ReadOnlySpan<byte> bytes)
    {
        var altered = bytes.ToArray();
        altered[altered.Length / 2] ^= Flip;
        return altered;
    }

    /// <summary>The hash of <paramref name="bytes"/> with its middle byte flipped.</summary>
    public static ulong HashOfAltered(ReadOnlySpan<byte> bytes) => ChunkHash.Of(Altered(bytes));
}
