using System.Buffers.Binary;

namespace BlitzScale.Native.Tokenization;

/// <summary>
/// Walks the fields of one serialized protobuf message. Only what reading a SentencePiece model
/// needs; malformed input throws <see cref="InvalidDataException"/>.
/// </summary>
internal ref struct ProtobufReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public bool TryRead(out ProtobufField field)
    {
        if (_position >= _data.Length)
        {
            field = default;
            return false;
        }
        var tag = ReadVarint();
        var number = (int)(tag >> 3);
        if (number == 0)
        {
            throw new InvalidDataException($"protobuf field number 0 at byte {_position}");
        }
        var wireType = (ProtobufWireType)(tag & 7);
        field = wireType switch
        {
            ProtobufWireType.Varint => new ProtobufField(number, wireType, ReadVarint(), default),
            ProtobufWireType.Fixed64 => new ProtobufField(number, wireType, BinaryPrimitives.ReadUInt64LittleEndian(Take(8)), default),
            ProtobufWireType.Fixed32 => new ProtobufField(number, wireType, BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), default),
            ProtobufWireType.LengthDelimited => new ProtobufField(number, wireType, 0, Take(checked((int)ReadVarint()))),
            _ => throw new InvalidDataException($"unsupported protobuf wire type {(int)wireType} for field {number}"),
        };
        return true;
    }

    private ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = Take(1)[0];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new InvalidDataException("protobuf varint longer than 10 bytes");
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > _data.Length - _position)
        {
            throw new InvalidDataException($"protobuf message truncated at byte {_position}");
        }
        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }
}
