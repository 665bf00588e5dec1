using System.Text.Json;

namespace BlitzScale.Native.Safetensors;

/// <summary>Describes JSON values in error messages.</summary>
internal static class Json
{
    // Enough to recognise the value without pasting a whole tensor table into the message.
    private const int MaxRawLength = 60;

    public static string Describe(JsonElement value)
    {
        string raw = value.GetRawText();
        if (raw.Length > MaxRawLength) raw = string.Concat(raw.AsSpan(0, MaxRawLength), "…");
        return value.ValueKind is JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null
            ? raw
            : $"{value.ValueKind.ToString().ToLowerInvariant()} {raw}";
    }
}
