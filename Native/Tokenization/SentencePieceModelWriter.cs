namespace BlitzScale.Native.Tokenization;

/// <summary>
/// Writes SentencePiece <c>tokenizer.model</c> files for synthetic models (benchmarks and tests that
/// need a realistic vocabulary size without shipping a real tokenizer).
/// </summary>
public static class SentencePieceModelWriter
{
    /// <summary>
    /// Writes a byte-fallback BPE model with <paramref name="vocabSize"/> pieces to <paramref name="path"/>:
    /// 0 &lt;unk&gt;, 1 &lt;s&gt;, 2 &lt;/s&gt;, 3–258 the bytes &lt;0x00&gt;–&lt;0xFF&gt;, then "▁", printable ASCII,
    /// "▁" + letter and lower-case words. The same size always gives the same bytes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabSize"/> is below 300.</exception>
    public static void WriteSynthetic(string path, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(path);
        var model = Serialize(SyntheticVocabulary.Create(vocabSize));
        File.WriteAllBytes(path, model);
    }

    internal static byte[] Serialize(IReadOnlyList<SentencePieceEntry> pieces)
    {
        var model = new ProtobufWriter();
        foreach (var entry in pieces)
        {
            var piece = new ProtobufWriter();
            piece.WriteStringField(SentencePieceModelFields.PiecePiece, entry.Piece);
            piece.WriteFloatField(SentencePieceModelFields.PieceScore, entry.Score);
            piece.WriteVarintField(SentencePieceModelFields.PieceType, (int)entry.Type);
            model.WriteBytesField(SentencePieceModelFields.ModelPieces, piece.WrittenSpan);
        }
        model.WriteBytesField(SentencePieceModelFields.ModelTrainerSpec, TrainerSpec(pieces.Count).WrittenSpan);
        model.WriteBytesField(SentencePieceModelFields.ModelNormalizerSpec, NormalizerSpec().WrittenSpan);
        return model.WrittenSpan.ToArray();
    }

    private static ProtobufWriter TrainerSpec(int vocabSize)
    {
        var spec = new ProtobufWriter();
        spec.WriteVarintField(SentencePieceModelFields.TrainerModelType, SentencePieceModelFields.ModelTypeBpe);
        spec.WriteVarintField(SentencePieceModelFields.TrainerVocabSize, vocabSize);
        spec.WriteBoolField(SentencePieceModelFields.TrainerByteFallback, true);
        spec.WriteVarintField(SentencePieceModelFields.TrainerUnkId, SyntheticVocabulary.UnknownId);
        spec.WriteVarintField(SentencePieceModelFields.TrainerBosId, SyntheticVocabulary.BosId);
        spec.WriteVarintField(SentencePieceModelFields.TrainerEosId, SyntheticVocabulary.EosId);
        spec.WriteVarintField(SentencePieceModelFields.TrainerPadId, -1);
        return spec;
    }

    private static ProtobufWriter NormalizerSpec()
    {
        // Llama's settings: no Unicode normalization, a leading space is added, runs of spaces are kept.
        var spec = new ProtobufWriter();
        spec.WriteStringField(SentencePieceModelFields.NormalizerName, "identity");
        spec.WriteBoolField(SentencePieceModelFields.NormalizerAddDummyPrefix, true);
        spec.WriteBoolField(SentencePieceModelFields.NormalizerRemoveExtraWhitespaces, false);
        spec.WriteBoolField(SentencePieceModelFields.NormalizerEscapeWhitespaces, true);
        return spec;
    }
}
