using System.Text;

namespace BlitzScale.Native.Tokenization;

/// <summary>
/// Reads the piece list of a SentencePiece ModelProto. Microsoft.ML.Tokenizers does the encoding but
/// does not expose piece types, which decoding needs (control pieces are invisible, byte pieces are
/// raw bytes), so we read them ourselves.
/// </summary>
internal static class SentencePieceModelReader
{
    public static SentencePieceEntry[] ReadPieces(ReadOnlySpan<byte> model)
    {
        var pieces = new List<SentencePieceEntry>();
        var reader = new ProtobufReader(model);
        while (reader.TryRead(out var field))
        {
            if (field.Number == SentencePieceModelFields.ModelPieces)
            {
                RequireWireType(field, ProtobufWireType.LengthDelimited);
                pieces.Add(ReadPiece(field.Bytes));
            }
        }
        return [.. pieces];
    }

    private static SentencePieceEntry ReadPiece(ReadOnlySpan<byte> message)
    {
        var piece = "";
        var score = 0f;
        // proto2 default for SentencePiece.type.
        var type = SentencePieceType.Normal;
        var reader = new ProtobufReader(message);
        while (reader.TryRead(out var field))
        {
            switch (field.Number)
            {
                case SentencePieceModelFields.PiecePiece:
                    RequireWireType(field, ProtobufWireType.LengthDelimited);
                    piece = Encoding.UTF8.GetString(field.Bytes);
                    break;
                case SentencePieceModelFields.PieceScore:
                    RequireWireType(field, ProtobufWireType.Fixed32);
                    score = field.AsFloat();
                    break;
                case SentencePieceModelFields.PieceType:
                    RequireWireType(field, ProtobufWireType.Varint);
                    type = (SentencePieceType)field.AsInt64();
                    break;
            }
        }
        return new SentencePieceEntry(piece, score, type);
    }

    private static void RequireWireType(ProtobufField field, ProtobufWireType expected)
    {
        if (field.WireType != expected)
        {
            throw new InvalidDataException($"protobuf field {field.Number} has wire type {field.WireType}, expected {expected}");
        }
    }
}
