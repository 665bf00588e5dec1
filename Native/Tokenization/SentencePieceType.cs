namespace BlitzScale.Native.Tokenization;

/// <summary>SentencePiece.Type from sentencepiece_model.proto; the numbers are the wire values.</summary>
internal enum SentencePieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
