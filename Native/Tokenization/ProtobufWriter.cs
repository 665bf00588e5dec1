using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace BlitzScale.Native.Tokenization;

/// <summary>
/// The few protobuf encodings a SentencePiece model needs, written by hand so that Native does not
/// depend on a protobuf package (and so that the output is byte-for-byte deterministic).
/// </summary>
internal sealed class ProtobufWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public void WriteVarintField(int field, long value)
    {
        WriteTag(field, ProtobufWireType.Varint);
        // int32/int64 fields sign-extend negatives to 64 bits (ten bytes), as protoc does for pad_id = -1.
        WriteVarint(unchecked((ulong)value));
    }

    public void WriteBoolField(int field, bool value) => WriteVarintField(field, value ? 1 : 0);

    public void WriteFloatField(int field, float value)
    {
        WriteTag(field, ProtobufWireType.Fixed32);
        BinaryPrimitives.WriteSingleLittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void WriteStringField(int field, string value) => WriteBytesField(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A length-delimited field; embedded messages are written as their serialized bytes.</summary>
    public void WriteBytesField(int field, ReadOnlySpan<byte> value)
    {
        WriteTag(field, ProtobufWireType.LengthDelimited);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
    }

    private void WriteTag(int field, ProtobufWireType wireType) => WriteVarint(((ulong)field << 3) | (ulong)wireType);

    private void WriteVarint(ulong value)
    {
        var span = _buffer.GetSpan(10);
        var length = 0;
        while (value >= 0x80)
        {
            span[length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[length++] = (byte)value;
        _buffer.Advance(length);
    }
}
