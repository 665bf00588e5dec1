using System.Text.Json;

namespace BlitzScale.Native.Tokenization.HuggingFace;

/// <summary>tokenizer.json's <c>normalizer</c>: none (Llama-3), NFC (Qwen2), NFD, or a sequence of them.</summary>
internal sealed class UnicodeNormalizer
{
    private readonly Func<string, string>[] _forms;

    private UnicodeNormalizer(Func<string, string>[] forms) => _forms = forms;

    public string Apply(string text)
    {
        foreach (var form in _forms)
            text = form(text);
        return text;
    }

    public static UnicodeNormalizer Read(JsonField root)
    {
        var forms = new List<Func<string, string>>();
        Collect(root.Get("normalizer"), forms);
        return new UnicodeNormalizer([.. forms]);
    }

    private static void Collect(JsonField field, List<Func<string, string>> forms)
    {
        if (field.IsNull)
            return;
        if (field.Kind != JsonValueKind.Object)
            throw field.Expected("an object or null");
        var type = field.Required("type", JsonValueKind.String, "a normalizer type").String();
        switch (type)
        {
            case "NFC": forms.Add(CanonicalNormalizer.Nfc); break;
            case "NFD": forms.Add(CanonicalNormalizer.Nfd); break;
            case "Sequence":
                foreach (var item in field.Required("normalizers", JsonValueKind.Array, "an array of normalizers").Items())
                    Collect(item, forms);
                break;
            default:
                throw field.Get("type").NotSupported($"normalizer \"{type}\" (only NFC, NFD and Sequence of them)");
        }
    }
}
