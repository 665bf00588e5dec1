using System.Text.Json;

namespace BlitzScale.Native.Safetensors;

/// <summary>Reads the weight_map of a sharded checkpoint's model.safetensors.index.json.</summary>
internal static class CheckpointIndex
{
    public const string FileName = "model.safetensors.index.json";

    /// <summary>Tensor name to shard file name, in the index's order.</summary>
    public static List<KeyValuePair<string, string>> ReadWeightMap(string path)
    {
        var doc = ModelJson.Parse(File.ReadAllBytes(path), why => new SafetensorsException(path, null, why));
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SafetensorsException(path, null, $"expected a JSON object, found {Json.Describe(root)}");
            if (!root.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new SafetensorsException(path, null, "\"weight_map\" is missing or not an object mapping tensor names to shard files");
            return ReadEntries(path, map);
        }
    }

    private static List<KeyValuePair<string, string>> ReadEntries(string path, JsonElement map)
    {
        var entries = new List<KeyValuePair<string, string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in map.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new SafetensorsException(path, entry.Name, $"\"weight_map\" value must be a shard file name, found {Json.Describe(entry.Value)}");
            string shard = entry.Value.GetString()!;
            // Shards are siblings of the index; anything else would let an index read files outside the model.
            if (shard.Length == 0 || Path.GetFileName(shard) != shard || shard is "." or "..")
                throw new SafetensorsException(path, entry.Name, $"\"weight_map\" names \"{shard}\": expected a file name in the same directory");
            if (!seen.Add(entry.Name))
                throw new SafetensorsException(path, entry.Name, "appears twice in \"weight_map\"");
            entries.Add(new(entry.Name, shard));
        }
        if (entries.Count == 0)
            throw new SafetensorsException(path, null, "\"weight_map\" is empty");
        return entries;
    }
}
