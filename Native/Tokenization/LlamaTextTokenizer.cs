using Microsoft.ML.Tokenizers;

namespace BlitzScale.Native.Tokenization;

/// <summary>
/// Text ↔ token ids for Llama-family models with a SentencePiece <c>tokenizer.model</c>.
/// Encoding is delegated to Microsoft.ML.Tokenizers; decoding follows sentencepiece's rules from the
/// model's own piece table so that full and streamed decoding agree: the first visible token loses its
/// dummy-prefix space and &lt;unk&gt; prints as " ⁇ ", as in sentencepiece.
/// </summary>
public sealed class LlamaTextTokenizer : TextTokenizer
{
    /// <summary>The file name read from the model directory.</summary>
    public const string ModelFileName = "tokenizer.model";

    private readonly SentencePieceTokenizer _encoder;

    private LlamaTextTokenizer(string filePath, SentencePieceTokenizer encoder, PieceTable pieces, int bosId, int eosId)
    {
        FilePath = filePath;
        _encoder = encoder;
        Pieces = pieces;
        BosId = bosId;
        EosId = eosId;
    }

    /// <inheritdoc/>
    public override string FilePath { get; }

    /// <summary>Beginning-of-sequence id, put first by <see cref="Encode"/>.</summary>
    public int BosId { get; }

    /// <inheritdoc/>
    public override int EosId { get; }

    /// <summary>Number of pieces in the model; valid ids are 0 to VocabSize - 1.</summary>
    public override int VocabSize => Pieces.Count;

    internal PieceTable Pieces { get; }

    internal override ITokenBytes Tokens => Pieces;

    /// <summary>
    /// Reads <c>{modelDirectory}/tokenizer.model</c>. <paramref name="bosId"/> and <paramref name="eosId"/>
    /// come from the model config and win over the ids recorded in the tokenizer file.
    /// </summary>
    /// <exception cref="TokenizerException">The file is missing, not a SentencePiece model, or the ids are outside its vocabulary.</exception>
    public static LlamaTextTokenizer Load(string modelDirectory, int bosId, int eosId)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        var path = Path.Combine(modelDirectory, ModelFileName);
        if (!File.Exists(path))
        {
            throw new TokenizerException(path, "not found: this loader reads only a SentencePiece tokenizer.model (TextTokenizer.Open also reads tokenizer.json)");
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0)
        {
            throw new TokenizerException(path, "the file is empty (0 bytes): expected a SentencePiece model");
        }
        SentencePieceTokenizer encoder;
        SentencePieceEntry[] entries;
        try
        {
            // BOS/EOS are added by Encode itself: the library returns no ids at all for "" even with BOS on.
            using var stream = new MemoryStream(bytes, writable: false);
            encoder = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
            entries = SentencePieceModelReader.ReadPieces(bytes);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The library surfaces corrupt input as protobuf errors or even NullReferenceException (empty file).
            // A library's null reference says nothing to a user: name the file and the problem instead.
            string why = ex is NullReferenceException ? "the tokenizer library could not parse it" : ex.Message;
            throw new TokenizerException(path, $"not a valid SentencePiece model: {why}", ex);
        }

        if (entries.Length == 0)
        {
            throw new TokenizerException(path, "not a valid SentencePiece model: it contains no pieces");
        }
        RequireInVocabulary(path, "bos_id", bosId, entries.Length);
        RequireInVocabulary(path, "eos_id", eosId, entries.Length);

        PieceTable pieces;
        try
        {
            pieces = new PieceTable(entries, bosId, eosId, encoder.AddDummyPrefix);
        }
        catch (InvalidDataException ex)
        {
            throw new TokenizerException(path, $"not a valid SentencePiece model: {ex.Message}", ex);
        }
        return new LlamaTextTokenizer(path, encoder, pieces, bosId, eosId);
    }

    /// <summary>Token ids for <paramref name="text"/>, starting with <see cref="BosId"/> when <paramref name="addBos"/> (also for "").</summary>
    public override int[] Encode(string text, bool addBos = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = _encoder.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);
        var offset = addBos ? 1 : 0;
        var result = new int[ids.Count + offset];
        if (addBos)
        {
            result[0] = BosId;
        }
        for (var i = 0; i < ids.Count; i++)
        {
            result[i + offset] = ids[i];
        }
        return result;
    }

    /// <summary>
    /// The text token <paramref name="id"/> adds after <paramref name="previousId"/>, without state:
    /// its leading space is dropped right after BOS (only compared, so -1 works for "no previous
    /// token"), control tokens give "". A byte token that is not ASCII gives U+FFFD because a
    /// multi-byte character needs its neighbours; use <see cref="StreamingDecoder"/> for exact
    /// streamed text.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside the vocabulary.</exception>
    public override string DecodePiece(int previousId, int id) => Pieces.Text(id, atStart: previousId == BosId);

    private static void RequireInVocabulary(string path, string name, int id, int vocabSize)
    {
        if ((uint)id >= (uint)vocabSize)
        {
            throw new TokenizerException(path, $"{name} {id} is outside the vocabulary of {vocabSize} pieces");
        }
    }
}
