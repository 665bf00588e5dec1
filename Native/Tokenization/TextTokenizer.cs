using System.Buffers;
using System.Text;

namespace BlitzScale.Native.Tokenization;

/// <summary>
/// Text ↔ token ids for a served model, whatever its tokenizer file: a SentencePiece <c>tokenizer.model</c>
/// (<see cref="LlamaTextTokenizer"/>) or a Hugging Face byte-level BPE <c>tokenizer.json</c>
/// (<see cref="ByteLevelBpeTokenizer"/>). Thread-safe; streamed decoding goes through <see cref="StreamingDecoder"/>.
/// </summary>
public abstract class TextTokenizer
{
    private protected TextTokenizer()
    {
    }

    /// <summary>The tokenizer file that was read.</summary>
    public abstract string FilePath { get; }

    /// <summary>End-of-sequence id; generation stops on it and decoding skips it.</summary>
    public abstract int EosId { get; }

    /// <summary>Number of ids the tokenizer can produce; valid ids are 0 to VocabSize - 1.</summary>
    public abstract int VocabSize { get; }

    internal abstract ITokenBytes Tokens { get; }

    /// <summary>
    /// Opens the tokenizer of <paramref name="modelDirectory"/>. A SentencePiece <c>tokenizer.model</c> wins when
    /// present (behaviour unchanged for the directories served so far: the Llama-2 family ships both files and
    /// its tokenizer.json is converted from the .model), otherwise the byte-level BPE <c>tokenizer.json</c>
    /// (Llama-3, Qwen2) with its <c>tokenizer_config.json</c>. <paramref name="bosId"/> and <paramref name="eosId"/>
    /// come from the model config; a tokenizer.json takes its BOS from its own post-processor or tokenizer_config.json.
    /// </summary>
    /// <exception cref="TokenizerException">Neither file is present, or the one read is malformed or unsupported.</exception>
    public static TextTokenizer Open(string modelDirectory, int bosId, int eosId)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        if (File.Exists(Path.Combine(modelDirectory, LlamaTextTokenizer.ModelFileName)))
        {
            return LlamaTextTokenizer.Load(modelDirectory, bosId, eosId);
        }
        if (File.Exists(Path.Combine(modelDirectory, ByteLevelBpeTokenizer.FileName)))
        {
            return ByteLevelBpeTokenizer.Load(modelDirectory, eosId);
        }
        throw new TokenizerException(Path.Combine(modelDirectory, ByteLevelBpeTokenizer.FileName),
            $"not found, and neither is {LlamaTextTokenizer.ModelFileName}: a model directory needs a SentencePiece tokenizer.model or a byte-level BPE tokenizer.json");
    }

    /// <summary>
    /// Token ids for <paramref name="text"/>. With <paramref name="addBos"/> the ids start (and end) with the
    /// special tokens the model expects, also for "": always BOS for SentencePiece, the post-processor's or
    /// tokenizer_config.json's for a tokenizer.json (none for Qwen2).
    /// </summary>
    public abstract int[] Encode(string text, bool addBos = true);

    /// <summary>
    /// The text of <paramref name="ids"/>: BOS, EOS and other control or special tokens are skipped, byte tokens are
    /// joined into UTF-8 (invalid sequences become U+FFFD).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var tokens = Tokens;
        var utf8 = new ArrayBufferWriter<byte>();
        var atStart = true;
        foreach (var id in ids)
        {
            utf8.Write(tokens.Utf8(id, atStart));
            atStart &= !tokens.IsVisible(id);
        }
        return Encoding.UTF8.GetString(utf8.WrittenSpan);
    }

    /// <summary>
    /// The text token <paramref name="id"/> adds after <paramref name="previousId"/>, without state (-1 for "no
    /// previous token"); control tokens give "". A token that is part of a multi-byte character gives U+FFFD because
    /// the character needs its neighbours; use <see cref="StreamingDecoder"/> for exact streamed text.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside the vocabulary.</exception>
    public abstract string DecodePiece(int previousId, int id);
}
