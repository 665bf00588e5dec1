using System.Buffers;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace BlitzScale.Native.Tokenization;

/// <summary>
/// Text ↔ token ids for Llama-family models with a SentencePiece <c>tokenizer.model</c>.
/// Encoding is delegated to Microsoft.ML.Tokenizers; decoding follows sentencepiece's rules from the
/// model's own piece table so that full and streamed decoding agree.
/// </summary>
public sealed class LlamaTextTokenizer
{
    /// <summary>The file name read from the model directory.</summary>
    public const string ModelFileName = "tokenizer.model";

    private const string HuggingFaceFileName = "tokenizer.json";

    private readonly SentencePieceTokenizer _encoder;

    private LlamaTextTokenizer(SentencePieceTokenizer encoder, PieceTable pieces, int bosId, int eosId)
    {
        _encoder = encoder;
        Pieces = pieces;
        BosId = bosId;
        EosId = eosId;
    }

    /// <summary>Beginning-of-sequence id, put first by <see cref="Encode"/>.</summary>
    public int BosId { get; }

    /// <summary>End-of-sequence id; generation stops on it and decoding skips it.</summary>
    public int EosId { get; }

    /// <summary>Number of pieces in the model; valid ids are 0 to VocabSize - 1.</summary>
    public int VocabSize => Pieces.Count;

    internal PieceTable Pieces { get; }

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
            throw new TokenizerException(path, MissingFileMessage(modelDirectory));
        }

        var bytes = File.ReadAllBytes(path);
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
            throw new TokenizerException(path, $"not a valid SentencePiece model: {ex.Message}", ex);
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
        return new LlamaTextTokenizer(encoder, pieces, bosId, eosId);
    }

    /// <summary>Token ids for <paramref name="text"/>, starting with <see cref="BosId"/> when <paramref name="addBos"/> (also for "").</summary>
    public int[] Encode(string text, bool addBos = true)
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
    /// The text of <paramref name="ids"/>: BOS, EOS and other control tokens are skipped, the first
    /// visible token loses its dummy-prefix space, byte tokens are joined into UTF-8 (invalid
    /// sequences become U+FFFD) and &lt;unk&gt; prints as " ⁇ " as in sentencepiece.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var utf8 = new ArrayBufferWriter<byte>();
        var atStart = true;
        foreach (var id in ids)
        {
            utf8.Write(Pieces.Utf8(id, atStart));
            atStart &= !Pieces.IsVisible(id);
        }
        return Encoding.UTF8.GetString(utf8.WrittenSpan);
    }

    /// <summary>
    /// The text token <paramref name="id"/> adds after <paramref name="previousId"/>, without state:
    /// its leading space is dropped right after BOS (only compared, so -1 works for "no previous
    /// token"), control tokens give "". A byte token that is not ASCII gives U+FFFD because a
    /// multi-byte character needs its neighbours; use <see cref="StreamingDecoder"/> for exact
    /// streamed text.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside the vocabulary.</exception>
    public string DecodePiece(int previousId, int id) => Pieces.Text(id, atStart: previousId == BosId);

    private static void RequireInVocabulary(string path, string name, int id, int vocabSize)
    {
        if ((uint)id >= (uint)vocabSize)
        {
            throw new TokenizerException(path, $"{name} {id} is outside the vocabulary of {vocabSize} pieces");
        }
    }

    private static string MissingFileMessage(string modelDirectory)
    {
        return File.Exists(Path.Combine(modelDirectory, HuggingFaceFileName))
            ? "not found; the directory has a tokenizer.json, but tokenizer.json (HF fast tokenizers) is not supported yet: only a SentencePiece tokenizer.model is supported"
            : "not found: only a SentencePiece tokenizer.model is supported";
    }
}
