using System.Text;
using System.Text.Json;
using BlitzScale.Native.Tokenization.HuggingFace;
using Microsoft.ML.Tokenizers;

namespace BlitzScale.Native.Tokenization;

/// <summary>
/// Text ↔ token ids for models with a Hugging Face byte-level BPE <c>tokenizer.json</c> (Llama-3, Qwen2).
/// Encoding follows the Hugging Face pipeline: added tokens are cut out of the raw text (a literal
/// <c>&lt;|eot_id|&gt;</c> in a prompt is that token), the rest is normalized, split by the pre-tokenizer regexes
/// and each piece is merged by Microsoft.ML.Tokenizers' BPE over its UTF-8 bytes; BOS/EOS come from the
/// post-processor or tokenizer_config.json. Decoding skips special tokens and does not clean up spaces, so a
/// streamed decode concatenates to the full one.
/// </summary>
public sealed class ByteLevelBpeTokenizer : TextTokenizer
{
    /// <summary>The file name read from the model directory.</summary>
    public const string FileName = TokenizerJsonFile.FileName;

    // Ids index dense tables; a file claiming more is malformed, not a real vocabulary (the largest are ~260k).
    private const int MaxVocabulary = 1 << 24;

    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<string, int> _vocabulary;
    private readonly bool _ignoreMerges;
    private readonly AddedTokenSplitter _added;
    private readonly UnicodeNormalizer _normalizer;
    private readonly SplitPreTokenizer _preTokenizer;
    private readonly SpecialTokenTemplate _template;
    private readonly ByteLevelTokenTable _table;

    private ByteLevelBpeTokenizer(string filePath, int eosId, BpeTokenizer bpe, BpeModel model, AddedTokenSplitter added,
        UnicodeNormalizer normalizer, SplitPreTokenizer preTokenizer, SpecialTokenTemplate template, ByteLevelTokenTable table)
    {
        FilePath = filePath;
        EosId = eosId;
        _bpe = bpe;
        _vocabulary = model.Vocabulary;
        _ignoreMerges = model.IgnoreMerges;
        _added = added;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _template = template;
        _table = table;
    }

    /// <inheritdoc/>
    public override string FilePath { get; }

    /// <inheritdoc/>
    public override int EosId { get; }

    /// <summary>One more than the largest id of the vocabulary and the added tokens.</summary>
    public override int VocabSize => _table.Count;

    /// <summary>The BOS <see cref="Encode"/> puts first, or null when the model has none (Qwen2).</summary>
    public int? BosId => _template.Prefix.Length > 0 ? _template.Prefix[0] : null;

    internal override ITokenBytes Tokens => _table;

    /// <summary>
    /// Reads <c>{modelDirectory}/tokenizer.json</c> and, when present, <c>tokenizer_config.json</c>.
    /// <paramref name="eosId"/> comes from the model config and must be inside the vocabulary.
    /// </summary>
    /// <exception cref="TokenizerException">A file is missing, malformed or describes something unsupported; the message names the file and the field.</exception>
    public static ByteLevelBpeTokenizer Load(string modelDirectory, int eosId)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        var path = Path.Combine(modelDirectory, FileName);
        if (!File.Exists(path))
            throw new TokenizerException(path, "not found");
        using var document = TokenizerJsonFile.Parse(path);
        var root = JsonField.Root(path, document.RootElement);
        if (root.Kind != JsonValueKind.Object)
            throw root.Expected("an object");

        var model = BpeModel.Read(root);
        var addedTokens = AddedToken.ReadAll(root);
        var normalizer = UnicodeNormalizer.Read(root);
        var preTokenizer = SplitPreTokenizer.Read(root);
        RequireByteLevelDecoder(root.Get("decoder"));
        var count = VocabularySize(root, model, addedTokens);

        var addedByContent = addedTokens.GroupBy(t => t.Content, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Id, StringComparer.Ordinal);
        int? IdOf(string token) => addedByContent.TryGetValue(token, out var id) || model.Vocabulary.TryGetValue(token, out id) ? id : null;
        var template = TokenizerConfig.Load(modelDirectory)
            .Apply(SpecialTokenTemplate.Read(root), Path.Combine(modelDirectory, TokenizerConfig.FileName), IdOf);
        if (template.Prefix.Concat(template.Suffix).FirstOrDefault(id => id >= count, -1) is var outside and >= 0)
            throw new TokenizerException(path, $"field \"post_processor\": special token id {outside} is outside the vocabulary of {count} tokens");
        if ((uint)eosId >= (uint)count)
            throw new TokenizerException(path, $"eos_id {eosId} is outside the vocabulary of {count} tokens");

        BpeTokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(new BpeOptions(model.Vocabulary) { Merges = model.Merges, ByteLevel = true });
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // The library checks that both sides of each merge and their concatenation are in the vocabulary.
            throw new TokenizerException(path, $"field \"model.merges\": {ex.Message}", ex);
        }
        return new ByteLevelBpeTokenizer(path, eosId, bpe, model, new AddedTokenSplitter(addedTokens), normalizer, preTokenizer,
            template, new ByteLevelTokenTable(model.Vocabulary, addedTokens, count));
    }

    /// <summary>
    /// Token ids for <paramref name="text"/>; with <paramref name="addBos"/> surrounded by the post-processor's special
    /// tokens (Llama-3: BOS first, also for ""), as Hugging Face's <c>encode(text, add_special_tokens=True)</c>.
    /// </summary>
    public override int[] Encode(string text, bool addBos = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        if (addBos)
            ids.AddRange(_template.Prefix);
        foreach (var (start, length, token) in _added.Split(text))
        {
            if (token is not null)
            {
                ids.Add(token.Id);
                continue;
            }
            foreach (var piece in _preTokenizer.Split(_normalizer.Apply(text.Substring(start, length))))
                EncodePiece(piece, ids);
        }
        if (addBos)
            ids.AddRange(_template.Suffix);
        return [.. ids];
    }

    /// <inheritdoc/>
    public override string DecodePiece(int previousId, int id) => Encoding.UTF8.GetString(_table.Utf8(id, atStart: false));

    private void EncodePiece(string piece, List<int> ids)
    {
        if (_ignoreMerges && _vocabulary.TryGetValue(ByteLevelAlphabet.Encode(piece), out var whole))
        {
            ids.Add(whole);
            return;
        }
        ids.AddRange(_bpe.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
    }

    private static int VocabularySize(JsonField root, BpeModel model, IReadOnlyList<AddedToken> added)
    {
        var largest = Math.Max(model.Vocabulary.Values.Max(), added.Count == 0 ? -1 : added.Max(t => t.Id));
        if (largest >= MaxVocabulary)
            throw root.Get("model.vocab").Error($"token id {largest} is beyond the largest supported vocabulary of {MaxVocabulary} tokens");
        return largest + 1;
    }

    private static void RequireByteLevelDecoder(JsonField decoder)
    {
        var isByteLevel = decoder.Kind == JsonValueKind.Object && decoder.Get("type").Kind == JsonValueKind.String
            && (decoder.Get("type").String() == "ByteLevel"
                || (decoder.Get("type").String() == "Sequence" && decoder.Get("decoders").Kind == JsonValueKind.Array
                    && decoder.Get("decoders").Items().Any(d => d.Get("type").Kind == JsonValueKind.String && d.Get("type").String() == "ByteLevel")));
        if (!isByteLevel)
            throw decoder.NotSupported($"{(decoder.IsNull ? "no decoder" : decoder.Value.GetRawText())} (only a ByteLevel decoder)");
    }
}
