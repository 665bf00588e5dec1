using System.Text.Json;

namespace BlitzScale.Native.Tokenization.HuggingFace;

/// <summary>
/// An entry of tokenizer.json's <c>added_tokens</c>: matched in the raw text before normalization and
/// pre-tokenization. Special ones (BOS, EOS, chat markers) are skipped when decoding.
/// </summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool LStrip, bool RStrip)
{
    public static IReadOnlyList<AddedToken> ReadAll(JsonField root)
    {
        var field = root.Get("added_tokens");
        if (field.IsNull)
            return [];
        var tokens = new List<AddedToken>();
        foreach (var item in field.Items())
        {
            if (item.Kind != JsonValueKind.Object)
                throw item.Expected("an object with id and content");
            var content = item.Required("content", JsonValueKind.String, "a string").String();
            if (content.Length == 0)
                throw item.Get("content").Expected("a non-empty string");
            if (item.Get("single_word").Bool(absent: false))
                throw item.Get("single_word").NotSupported("true (added tokens matched only as whole words)");
            tokens.Add(new AddedToken(
                item.Required("id", JsonValueKind.Number, "a token id").TokenId(),
                content,
                item.Get("special").Bool(absent: false),
                item.Get("lstrip").Bool(absent: false),
                item.Get("rstrip").Bool(absent: false)));
        }
        return tokens;
    }
}
