using System.Buffers.Binary;

namespace BlitzScale.Native.Transport;

/// <summary>A reply frame's 32-byte header (layout in <see cref="WireFormat"/>).</summary>
internal readonly record struct ReplyHeader(ReplyKind Kind, int Blob, int Length, long OffsetInBlob, ulong Hash)
{
    public void Write(Span<byte> header)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, WireFormat.ReplyMagic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], (int)Kind);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Blob);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], Length);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], OffsetInBlob);
        BinaryPrimitives.WriteUInt64LittleEndian(header[24..], Hash);
    }

    /// <summary>A whole error (or source-lost) reply: the header, then <paramref name="message"/> in UTF-8, hashed.</summary>
    public static byte[] ErrorFrame(ReplyKind kind, string message)
    {
        var text = System.Text.Encoding.UTF8.GetBytes(message);
        var frame = new byte[WireFormat.HeaderBytes + text.Length];
        new ReplyHeader(kind, -1, text.Length, 0, ChunkHash.Of(text)).Write(frame);
        text.CopyTo(frame, WireFormat.HeaderBytes);
        return frame;
    }

    /// <summary>Parses a header; null when the magic is wrong.</summary>
    public static ReplyHeader? Read(ReadOnlySpan<byte> header) =>
        BinaryPrimitives.ReadUInt32LittleEndian(header) != WireFormat.ReplyMagic
            ? null
            : new ReplyHeader(
                (ReplyKind)BinaryPrimitives.ReadInt32LittleEndian(header[4..]),
                BinaryPrimitives.ReadInt32LittleEndian(header[8..]),
                BinaryPrimitives.ReadInt32LittleEndian(header[12..]),
                BinaryPrimitives.ReadInt64LittleEndian(header[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(header[24..]));
}
