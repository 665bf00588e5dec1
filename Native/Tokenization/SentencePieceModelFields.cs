namespace BlitzScale.Native.Tokenization;

/// <summary>
/// Field numbers from sentencepiece_model.proto that we read or write, checked against the
/// stories260K tokenizer.model in the tests.
/// </summary>
internal static class SentencePieceModelFields
{
    public const int ModelPieces = 1;
    public const int ModelTrainerSpec = 2;
    public const int ModelNormalizerSpec = 3;

    public const int PiecePiece = 1;
    public const int PieceScore = 2;
    public const int PieceType = 3;

    public const int TrainerModelType = 3;
    public const int TrainerVocabSize = 4;
    public const int TrainerByteFallback = 35;
    public const int TrainerUnkId = 40;
    public const int TrainerBosId = 41;
    public const int TrainerEosId = 42;
    public const int TrainerPadId = 43;

    public const int NormalizerName = 1;
    public const int NormalizerAddDummyPrefix = 3;
    public const int NormalizerRemoveExtraWhitespaces = 4;
    public const int NormalizerEscapeWhitespaces = 5;

    /// <summary>TrainerSpec.ModelType.BPE.</summary>
    public const int ModelTypeBpe = 2;
}
