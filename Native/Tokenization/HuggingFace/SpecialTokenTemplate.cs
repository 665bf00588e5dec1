using System.Text.Json;

namespace BlitzScale.Native.Tokenization.HuggingFace;

/// <summary>
/// The ids put around a single sequence when special tokens are added: from a TemplateProcessing post-processor
/// (Llama-3: <c>&lt;|begin_of_text|&gt; $A</c>), nothing for ByteLevel or no post-processor (Qwen2).
/// </summary>
internal sealed record SpecialTokenTemplate(int[] Prefix, int[] Suffix)
{
    public static SpecialTokenTemplate Read(JsonField root)
    {
        var prefix = new List<int>();
        var suffix = new List<int>();
        Collect(root.Get("post_processor"), prefix, suffix);
        return new SpecialTokenTemplate([.. prefix], [.. suffix]);
    }

    private static void Collect(JsonField field, List<int> prefix, List<int> suffix)
    {
        if (field.IsNull)
            return;
        if (field.Kind != JsonValueKind.Object)
            throw field.Expected("an object or null");
        var type = field.Required("type", JsonValueKind.String, "a post-processor type").String();
        switch (type)
        {
            case "ByteLevel":
                // Only adjusts offsets; the ids are unchanged.
                break;
            case "Sequence":
                foreach (var item in field.Required("processors", JsonValueKind.Array, "an array of post-processors").Items())
                    Collect(item, prefix, suffix);
                break;
            case "TemplateProcessing":
                ReadTemplate(field, prefix, suffix);
                break;
            default:
                throw field.Get("type").NotSupported($"post-processor \"{type}\" (only TemplateProcessing, ByteLevel and Sequence)");
        }
    }

    private static void ReadTemplate(JsonField field, List<int> prefix, List<int> suffix)
    {
        var specialTokens = field.Required("special_tokens", JsonValueKind.Object, "an object of special tokens");
        var single = field.Required("single", JsonValueKind.Array, "an array of template pieces");
        var seenSequence = false;
        foreach (var piece in single.Items())
        {
            if (!piece.Get("Sequence").IsNull)
            {
                seenSequence = true;
                continue;
            }
            var special = piece.Get("SpecialToken");
            if (special.Kind != JsonValueKind.Object)
                throw piece.Expected("{\"SpecialToken\": …} or {\"Sequence\": …}");
            var name = special.Required("id", JsonValueKind.String, "a special token name").String();
            var entry = specialTokens.Get(name);
            if (entry.IsNull)
                throw specialTokens.Error($"\"{name}\" is used by the single template but not defined here");
            var ids = entry.Required("ids", JsonValueKind.Array, "an array of token ids").Items().Select(i => i.TokenId());
            (seenSequence ? suffix : prefix).AddRange(ids);
        }
        if (!seenSequence)
            throw single.Error("has no {\"Sequence\": {\"id\": \"A\"}} piece");
    }
}
