using System.IO.Hashing;

namespace BlitzScale.Native.Transport;

/// <summary>The 64-bit hash every chunk carries end to end: XXH3-64, seed 0 (tens of GB/s, far above any link).</summary>
internal static class ChunkHash
{
    public static ulong Of(ReadOnlySpan<byte> bytes) => XxHash3.HashToUInt64(bytes);
}
