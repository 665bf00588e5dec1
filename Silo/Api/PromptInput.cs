using System.Text.Json;

namespace BlitzScale.Silo.Api;

/// <summary>One prompt of a completions request: text (the instance encodes it with BOS) or token ids as given.</summary>
internal sealed record PromptInput(string? Text, int[]? Ids)
{
    /// <summary>The most prompts one request may carry.</summary>
    public const int MaxPrompts = 256;

    private const string Expected = "a string, an array of strings, an array of token ids or an array of arrays of token ids";

    /// <summary>The <c>prompt</c> field: a string, a list of strings, a list of ids, or a list of lists of ids; each is one choice.</summary>
    /// <exception cref="ApiException">400 naming <c>prompt</c>.</exception>
    public static IReadOnlyList<PromptInput> Read(JsonElement body)
    {
        switch (JsonFields.Get(body, "prompt"))
        {
            case null:
                throw ApiException.Invalid("prompt", $"prompt: expected {Expected}, found none");
            case { ValueKind: JsonValueKind.String } text:
                return [new PromptInput(text.GetString(), null)];
            case { ValueKind: JsonValueKind.Array } list:
                if (list.GetArrayLength() == 0) throw ApiException.Invalid("prompt", $"prompt: expected {Expected}, found an empty array");
                if (list.GetArrayLength() > MaxPrompts) throw ApiException.Invalid("prompt", $"prompt: expected at most {MaxPrompts} prompts, found {list.GetArrayLength()}");
                var first = list[0];
                if (first.ValueKind == JsonValueKind.Number) return [new PromptInput(null, ReadIds(list))];
                return list.EnumerateArray().Select(item => item.ValueKind switch
                {
                    JsonValueKind.String => new PromptInput(item.GetString(), null),
                    JsonValueKind.Array => new PromptInput(null, ReadIds(item)),
                    _ => throw JsonFields.Wrong("prompt", Expected, item),
                }).ToList();
            case { } other:
                throw JsonFields.Wrong("prompt", Expected, other);
        }
    }

    /// <summary>A JSON array of token ids.</summary>
    public static int[] ReadIds(JsonElement list, string field = "prompt")
    {
        if (list.ValueKind != JsonValueKind.Array) throw JsonFields.Wrong(field, "an array of token ids", list);
        var ids = new int[list.GetArrayLength()];
        int i = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int id) || id < 0)
                throw JsonFields.Wrong(field, "token ids (integers ≥ 0)", item);
            ids[i++] = id;
        }
        if (ids.Length == 0) throw ApiException.Invalid(field, $"{field}: expected at least one token id, found an empty array");
        return ids;
    }
}
