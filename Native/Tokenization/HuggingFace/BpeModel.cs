using System.Text.Json;

namespace BlitzScale.Native.Tokenization.HuggingFace;

/// <summary>
/// tokenizer.json's <c>model</c> for BPE: the vocabulary, the merges (as "a b" strings or, since tokenizers 0.20,
/// ["a", "b"] pairs) and <c>ignore_merges</c> (Llama-3: a whole pre-tokenized word found in the vocabulary is one
/// token, merges or not).
/// </summary>
internal sealed record BpeModel(Dictionary<string, int> Vocabulary, List<string> Merges, bool IgnoreMerges)
{
    public static BpeModel Read(JsonField root)
    {
        var model = root.Required("model", JsonValueKind.Object, "an object");
        var type = model.Get("type").OptionalString();
        if (type is not null && type != "BPE")
            throw model.Get("type").NotSupported($"\"{type}\" (only byte-level BPE tokenizers are supported)");
        foreach (var unsupported in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            // Qwen2/Qwen3 files write "" for "none".
            if (model.Get(unsupported).OptionalString() is { Length: > 0 } affix)
                throw model.Get(unsupported).NotSupported($"\"{affix}\" (only null or \"\", as in byte-level BPE)");
        }
        return new BpeModel(ReadVocabulary(model), ReadMerges(model), model.Get("ignore_merges").Bool(absent: false));
    }

    private static Dictionary<string, int> ReadVocabulary(JsonField model)
    {
        var vocab = model.Required("vocab", JsonValueKind.Object, "an object of token → id");
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocab.Value.EnumerateObject())
        {
            // Not vocab.Get(name): looking a member up by name scans the object, quadratic over 100k+ tokens.
            var id = new JsonField(vocab.FilePath, $"{vocab.Name}[\"{entry.Name}\"]", entry.Value).TokenId();
            if (!result.TryAdd(entry.Name, id))
                throw vocab.Error($"token \"{entry.Name}\" appears twice");
        }
        if (result.Count == 0)
            throw vocab.Expected("a non-empty object of token → id");
        return result;
    }

    private static List<string> ReadMerges(JsonField model)
    {
        var merges = model.Required("merges", JsonValueKind.Array, "an array of merges");
        var result = new List<string>(merges.Value.GetArrayLength());
        const string Shape = "a merge: \"a b\" or [\"a\", \"b\"]";
        foreach (var merge in merges.Items())
        {
            string left, right;
            if (merge.Kind == JsonValueKind.String)
            {
                var parts = merge.String().Split(' ');
                if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                    throw merge.Expected(Shape);
                (left, right) = (parts[0], parts[1]);
            }
            else if (merge.Kind == JsonValueKind.Array && merge.Value.GetArrayLength() == 2
                && merge.At(0).Kind == JsonValueKind.String && merge.At(1).Kind == JsonValueKind.String)
            {
                (left, right) = (merge.At(0).String(), merge.At(1).String());
                // Microsoft.ML.Tokenizers takes merges as "a b"; byte-level tokens never hold a space ('Ġ' stands for it).
                if (left.Length == 0 || right.Length == 0 || left.Contains(' ') || right.Contains(' '))
                    throw merge.Expected("two non-empty tokens without spaces");
            }
            else
            {
                throw merge.Expected(Shape);
            }
            result.Add($"{left} {right}");
        }
        return result;
    }
}
