using System.Text.Json;

namespace BlitzScale.Silo.Api;

/// <summary>
/// System.Text.Json checks a string's UTF-8 and its <c>\u</c> escapes only when the string is read, and then throws
/// <see cref="InvalidOperationException"/> from wherever it is read; a request body is therefore checked whole, once,
/// as it is parsed, so that invalid UTF-8 or a lone surrogate anywhere in it is a 400 naming the field.
/// </summary>
internal static class JsonStrings
{
    private const string Text = "text (valid UTF-8, surrogates in pairs)";

    /// <param name="value">The value at <paramref name="at"/>.</param>
    /// <param name="at">Its path in the body (<c>messages[0].content</c>); empty for the body itself.</param>
    /// <exception cref="ApiException">400 naming the first string value, or the object with the first field name, that is not text.</exception>
    public static void Check(JsonElement value, string at)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                Decode(at, Text, () => value.GetString());
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in value.EnumerateArray()) Check(item, $"{at}[{i++}]");
                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    string name = Decode(at, $"field names that are {Text}", () => property.Name);
                    Check(property.Value, at.Length == 0 ? name : $"{at}.{name}");
                }
                break;
        }
    }

    private static string Decode(string at, string expected, Func<string?> read)
    {
        try
        {
            return read() ?? "";
        }
        catch (InvalidOperationException e)
        {
            string? param = at.Length == 0 ? null : at;
            throw ApiException.Invalid(param, $"{param ?? "body"}: expected {expected}, found {e.GetBaseException().Message.TrimEnd('.')}");
        }
    }
}
