using System.Text.Json;
using System.Text.Unicode;

namespace BlitzScale.Native.Safetensors;

/// <summary>Parses and validates the JSON header of a safetensors file.</summary>
internal static class SafetensorsHeaderReader
{
    /// <param name="path">The file, for error messages.</param>
    /// <param name="json">The header bytes, without the length prefix.</param>
    /// <param name="fileLength">Size of the whole file; the data section is what follows the header.</param>
    public static SafetensorsHeader Read(string path, ReadOnlySpan<byte> json, long fileLength)
    {
        // System.Text.Json only checks UTF-8 inside strings it is asked to decode; check it all up front.
        if (!Utf8.IsValid(json))
            throw new SafetensorsException(path, null, $"header ({json.Length} bytes) is not valid UTF-8");
        long dataStart = SafetensorsHeader.PrefixLength + json.Length;
        var layout = new DataLayout(path, dataStart, fileLength - dataStart, fileLength);

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new SafetensorsException(path, null, $"header is not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SafetensorsException(path, null, $"header must be a JSON object, found {Json.Describe(root)}");
            return ReadEntries(path, root, layout);
        }
    }

    private static SafetensorsHeader ReadEntries(string path, JsonElement root, DataLayout layout)
    {
        var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name == SafetensorsHeader.MetadataKey)
            {
                metadata = metadata is null
                    ? ReadMetadata(path, property.Value)
                    : throw new SafetensorsException(path, null, $"\"{SafetensorsHeader.MetadataKey}\" appears twice in the header");
                continue;
            }
            var info = TensorEntryReader.Read(property.Name, property.Value, layout);
            if (!tensors.TryAdd(info.Name, info))
                throw new SafetensorsException(path, info.Name, "appears twice in the header");
        }
        OverlapCheck.Run(path, tensors.Values);
        return new SafetensorsHeader(tensors, metadata ?? new Dictionary<string, string>(StringComparer.Ordinal));
    }

    private static Dictionary<string, string> ReadMetadata(string path, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new SafetensorsException(path, null,
                $"\"{SafetensorsHeader.MetadataKey}\" must be an object mapping strings to strings, found {Json.Describe(value)}");
        }
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw new SafetensorsException(path, null,
                    $"\"{SafetensorsHeader.MetadataKey}\" must map strings to strings, but \"{entry.Name}\" maps to {Json.Describe(entry.Value)}");
            }
            metadata[entry.Name] = entry.Value.GetString()!;
        }
        return metadata;
    }
}
