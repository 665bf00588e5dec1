namespace BlitzScale.Native.Transport;

/// <summary>One chunk of a transfer: bytes <c>[OffsetInBlob, OffsetInBlob + Length)</c> of a blob, the <c>Index</c>-th of that blob.</summary>
internal readonly record struct ChunkRef(int Blob, int Index, long OffsetInBlob, int Length);
