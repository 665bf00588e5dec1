namespace BlitzScale.Native.Tokenization;

/// <summary>One ModelProto.pieces entry: the piece text (with U+2581 for spaces), its score and type.</summary>
internal readonly record struct SentencePieceEntry(string Piece, float Score, SentencePieceType Type);
