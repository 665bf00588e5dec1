using System.Text.Json;

namespace BlitzScale.Native.Tokenization.HuggingFace;

/// <summary>
/// What tokenizer_config.json says about BOS/EOS: <c>add_bos_token</c>/<c>add_eos_token</c>, when present, decide
/// whether <c>bos_token</c>/<c>eos_token</c> are added (as transformers rebuilds the post-processor from them);
/// when absent the tokenizer.json post-processor decides. The file itself is optional.
/// </summary>
internal sealed record TokenizerConfig(bool? AddBos, string? BosToken, bool? AddEos, string? EosToken)
{
    public const string FileName = "tokenizer_config.json";

    private static readonly TokenizerConfig None = new(null, null, null, null);

    public static TokenizerConfig Load(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, FileName);
        if (!File.Exists(path))
            return None;
        using var document = TokenizerJsonFile.Parse(path);
        var root = JsonField.Root(path, document.RootElement);
        if (root.Kind != JsonValueKind.Object)
            throw root.Expected("an object");
        return new TokenizerConfig(root.Get("add_bos_token").OptionalBool(), TokenName(root.Get("bos_token")),
            root.Get("add_eos_token").OptionalBool(), TokenName(root.Get("eos_token")));
    }

    /// <summary>The template with this file's choices applied; <paramref name="idOf"/> maps a token's text to its id.</summary>
    public SpecialTokenTemplate Apply(SpecialTokenTemplate template, string path, Func<string, int?> idOf)
    {
        var prefix = AddBos is { } addBos ? (addBos ? [Require(path, "bos_token", BosToken, idOf)] : []) : template.Prefix;
        var suffix = AddEos is { } addEos ? (addEos ? [Require(path, "eos_token", EosToken, idOf)] : []) : template.Suffix;
        return new SpecialTokenTemplate(prefix, suffix);
    }

    private static int Require(string path, string field, string? token, Func<string, int?> idOf)
    {
        if (token is null)
            throw new TokenizerException(path, $"field \"{field}\": missing, but add_{field} is true");
        return idOf(token) ?? throw new TokenizerException(path, $"field \"{field}\": \"{token}\" is not a token of {TokenizerJsonFile.FileName}");
    }

    // A token is written as its text or as an AddedToken object {"content": …}.
    private static string? TokenName(JsonField field) => field.Kind switch
    {
        JsonValueKind.String => field.String(),
        JsonValueKind.Object => field.Required("content", JsonValueKind.String, "a string").String(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => throw field.Expected("a token (a string or {\"content\": …}) or null"),
    };
}
