using System.Text.Json;

namespace BlitzScale.Silo.Api;

/// <summary>
/// System.Text.Json checks a string's UTF-8 and its <c>\u</c> escapes only when the string is read, and then throws
/// <see cref="InvalidOperationException"/> from wherever it is read; a request body is therefore checked whole, once,
/// as it is parsed, so that invalid UTF-8 or a lone surrogate anywhere in it is a 400 naming the field.
/// </summary>
internal static class JsonStrings
{
    /// <exception cref="ApiException">400 naming the first property name or string value that is not text.</exception>
    public static void Check(JsonElement value, string at)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                Decode(at, () => value.GetString());
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in value.EnumerateArray()) Check(item, $"{at}[{i++}]");
                break;
            case JsonValueKind.Object:
                int field = 0;
                foreach (var property in value.EnumerateObject())
                {
                    string name = Decode($"{(at.Length == 0 ? "" : at + ".")}the name of field {field++}", () => property.Name);
                    Check(property.Value, at.Length == 0 ? name : $"{at}.{name}");
                }
                break;
        }
    }

    private static string Decode(string at, Func<string?> read)
    {
        try
        {
            return read() ?? "";
        }
        catch (InvalidOperationException e)
        {
            string where = at.Length == 0 ? "body" : at;
            throw ApiException.Invalid(at.Length == 0 ? null : at, $"{where}: expected text (valid UTF-8, surrogates in pairs), found {e.GetBaseException().Message.TrimEnd('.')}");
        }
    }
}
