using System.Text.Json;

namespace BlitzScale.Silo.Api;

/// <summary>
/// Typed reads of request fields: absent or null is "not given"; a value of the wrong type is a 400 naming the field,
/// what was expected and what was found. Unknown fields are never looked at (ignored, as OpenAI does).
/// </summary>
internal static class JsonFields
{
    public static string KindName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    /// <summary>The field, or null when absent or JSON null.</summary>
    public static JsonElement? Get(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public static ApiException Wrong(string field, string expected, JsonElement found) =>
        ApiException.Invalid(field, $"{field}: expected {expected}, found {Describe(found)}");

    public static string? String(JsonElement obj, string name) => Get(obj, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { } other => throw Wrong(name, "a string", other),
    };

    /// <summary>A string that is neither empty nor all whitespace (a model's name is a grain key, which cannot be blank).</summary>
    public static string RequiredString(JsonElement obj, string name) =>
        String(obj, name) is { } value && !string.IsNullOrWhiteSpace(value) ? value
            : throw ApiException.Invalid(name, $"{name}: expected a non-blank string, found {(Get(obj, name) is { } found ? Describe(found) : "none")}");

    public static bool? Bool(JsonElement obj, string name) => Get(obj, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { } other => throw Wrong(name, "true or false", other),
    };

    public static double? Number(JsonElement obj, string name, double min, double max)
    {
        if (Get(obj, name) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.Number) throw Wrong(name, $"a number from {min} to {max}", value);
        double number = value.GetDouble();
        if (!(number >= min && number <= max)) throw Wrong(name, $"a number from {min} to {max}", value);
        return number;
    }

    public static long? Integer(JsonElement obj, string name, long min, long max)
    {
        if (Get(obj, name) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long number))
            throw Wrong(name, $"an integer from {min} to {max}", value);
        if (number < min || number > max) throw Wrong(name, $"an integer from {min} to {max}", value);
        return number;
    }

    /// <summary>A short rendering of a found value: its kind, and small scalars themselves.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string {Clip(value.GetRawText())}",
        JsonValueKind.Number => $"the number {Clip(value.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.GetRawText()}",
        _ => KindName(value.ValueKind),
    };

    private static string Clip(string text) => text.Length <= 40 ? text : text[..37] + "…";
}
