using System.Buffers.Binary;

namespace BlitzScale.Native.Transport;

/// <summary>A request frame's 32-byte header (layout in <see cref="WireFormat"/>).</summary>
internal readonly record struct RequestHeader(RequestKind Kind, int Blob, int A, long B, int C, int ModelIdBytes)
{
    /// <summary>A range request's header; <paramref name="fromChunk"/> makes it a <see cref="RequestKind.RangeFrom"/>.</summary>
    public static RequestHeader Range(int firstBlob, int endBlob, long imageBytes, int chunkBytes, int modelIdBytes, bool fromChunk = false) =>
        new(fromChunk ? RequestKind.RangeFrom : RequestKind.Range, firstBlob, endBlob, imageBytes, chunkBytes, modelIdBytes);

    /// <summary>Whether this is either kind of range request.</summary>
    public bool IsRange => Kind is RequestKind.Range or RequestKind.RangeFrom;

    /// <summary>Bytes that follow the model id of a range request: the first chunk's index, for <see cref="RequestKind.RangeFrom"/>.</summary>
    public int RangeTrailerBytes => Kind == RequestKind.RangeFrom ? RangeFromBytes : 0;

    /// <summary>Length of a <see cref="RequestKind.RangeFrom"/>'s first-chunk field.</summary>
    public const int RangeFromBytes = 4;

    public static RequestHeader Chunk(ChunkRef chunk) =>
        new(RequestKind.Chunk, chunk.Blob, chunk.Length, chunk.OffsetInBlob, 0, 0);

    public void Write(Span<byte> header)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, WireFormat.RequestMagic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], (int)Kind);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Blob);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], A);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], B);
        BinaryPrimitives.WriteInt32LittleEndian(header[24..], C);
        BinaryPrimitives.WriteInt32LittleEndian(header[28..], ModelIdBytes);
    }

    /// <summary>Parses a header; null when the magic is wrong.</summary>
    public static RequestHeader? Read(ReadOnlySpan<byte> header) =>
        BinaryPrimitives.ReadUInt32LittleEndian(header) != WireFormat.RequestMagic
            ? null
            : new RequestHeader(
                (RequestKind)BinaryPrimitives.ReadInt32LittleEndian(header[4..]),
                BinaryPrimitives.ReadInt32LittleEndian(header[8..]),
                BinaryPrimitives.ReadInt32LittleEndian(header[12..]),
                BinaryPrimitives.ReadInt64LittleEndian(header[16..]),
                BinaryPrimitives.ReadInt32LittleEndian(header[24..]),
                BinaryPrimitives.ReadInt32LittleEndian(header[28..]));
}
