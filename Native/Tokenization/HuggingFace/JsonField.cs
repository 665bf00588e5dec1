using System.Text.Json;

namespace BlitzScale.Native.Tokenization.HuggingFace;

/// <summary>One element of a tokenizer JSON file with its dotted name, so every error says the file, the field, what was expected and what was found.</summary>
internal readonly struct JsonField(string filePath, string name, JsonElement value)
{
    public string FilePath { get; } = filePath;
    public string Name { get; } = name;
    public JsonElement Value { get; } = value;
    public JsonValueKind Kind => Value.ValueKind;
    public bool IsNull => Value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    public static JsonField Root(string filePath, JsonElement root) => new(filePath, "", root);

    public TokenizerException Error(string message) => new(FilePath, $"field \"{Display}\": {message}");

    public TokenizerException Expected(string what) => Error($"expected {what}, found {Describe(Value)}");

    public TokenizerException NotSupported(string what) => Error($"not supported: {what}");

    /// <summary>The member <paramref name="member"/>; absent members read as JSON null.</summary>
    public JsonField Get(string member)
    {
        var child = Value.ValueKind == JsonValueKind.Object && Value.TryGetProperty(member, out var v) ? v : default;
        return new JsonField(FilePath, Name.Length == 0 ? member : $"{Name}.{member}", child);
    }

    public JsonField Required(string member, JsonValueKind kind, string what)
    {
        var child = Get(member);
        if (child.IsNull)
            throw child.Error($"missing (expected {what})");
        if (child.Kind != kind)
            throw child.Expected(what);
        return child;
    }

    public JsonField At(int index) => new(FilePath, $"{Name}[{index}]", Value[index]);

    public IEnumerable<JsonField> Items()
    {
        if (Kind != JsonValueKind.Array)
            throw Expected("an array");
        var i = 0;
        foreach (var item in Value.EnumerateArray())
            yield return new JsonField(FilePath, $"{Name}[{i++}]", item);
    }

    public string String() => Kind == JsonValueKind.String ? Value.GetString()! : throw Expected("a string");

    public string? OptionalString() => IsNull ? null : String();

    public bool Bool(bool absent) => Kind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null or JsonValueKind.Undefined => absent,
        _ => throw Expected("true or false"),
    };

    public bool? OptionalBool() => IsNull ? null : Bool(absent: false);

    public int TokenId() =>
        Kind == JsonValueKind.Number && Value.TryGetInt32(out var id) && id >= 0 ? id : throw Expected("a token id (an integer ≥ 0)");

    private string Display => Name.Length == 0 ? "(root)" : Name;

    private static string Describe(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Undefined)
            return "nothing";
        var text = value.GetRawText();
        return text.Length <= 60 ? text : $"{text[..57]}...";
    }
}
