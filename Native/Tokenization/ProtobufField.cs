namespace BlitzScale.Native.Tokenization;

/// <summary>
/// One decoded protobuf field. <see cref="Varint"/> holds varint and fixed values (fixed32 in the low
/// 32 bits); <see cref="Bytes"/> holds length-delimited payloads.
/// </summary>
internal readonly ref struct ProtobufField(int number, ProtobufWireType wireType, ulong varint, ReadOnlySpan<byte> bytes)
{
    public int Number { get; } = number;
    public ProtobufWireType WireType { get; } = wireType;
    public ulong Varint { get; } = varint;
    public ReadOnlySpan<byte> Bytes { get; } = bytes;

    public float AsFloat() => BitConverter.Int32BitsToSingle(unchecked((int)(uint)Varint));

    public long AsInt64() => unchecked((long)Varint);
}
