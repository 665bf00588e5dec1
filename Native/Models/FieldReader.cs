using System.Text.Json;

namespace BlitzScale.Native.Models;

/// <summary>Typed access to the fields of one JSON object, with errors that name the file and the field.</summary>
internal readonly struct FieldReader(string path, JsonElement root, string prefix = "")
{
    public string Path { get; } = path;
    public JsonElement Root { get; } = root;

    public ModelConfigException Error(string field, string message) =>
        new(Path, $"field \"{prefix}{field}\": {message}");

    public int PositiveInt(string field) =>
        OptionalPositiveInt(field) ?? throw Missing(field, "a positive integer");

    public int? OptionalPositiveInt(string field)
    {
        if (!TryGet(field, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int n) || n <= 0)
            throw Error(field, $"expected a positive integer, found {value.GetRawText()}");
        return n;
    }

    public int? OptionalTokenId(string field)
    {
        if (!TryGet(field, out var value)) return null;
        // Some configs list several EOS ids; the first is the one generation stops on by default.
        if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0) value = value[0];
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int n) || n < 0)
            throw Error(field, $"expected a token id, found {value.GetRawText()}");
        return n;
    }

    public double PositiveDouble(string field) =>
        OptionalPositiveDouble(field) ?? throw Missing(field, "a positive number");

    public double? OptionalPositiveDouble(string field)
    {
        if (!TryGet(field, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double d) || !(d > 0) || double.IsInfinity(d))
            throw Error(field, $"expected a positive number, found {value.GetRawText()}");
        return d;
    }

    public bool? OptionalBool(string field)
    {
        if (!TryGet(field, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ModelConfigException(Path, $"field \"{prefix}{field}\": expected true or false, found {value.GetRawText()}"),
        };
    }

    public string? OptionalString(string field)
    {
        if (!TryGet(field, out var value)) return null;
        if (value.ValueKind != JsonValueKind.String)
            throw Error(field, $"expected a string, found {value.GetRawText()}");
        return value.GetString();
    }

    private bool TryGet(string field, out JsonElement value) =>
        Root.TryGetProperty(field, out value) && value.ValueKind != JsonValueKind.Null;

    private ModelConfigException Missing(string field, string expected) =>
        new(Path, $"field \"{prefix}{field}\" is missing: expected {expected}");
}
