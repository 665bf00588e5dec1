namespace BlitzScale.Native.Safetensors;

/// <summary>Opens the shards an index names and checks that index and shards agree.</summary>
internal static class ShardedCheckpointLoader
{
    /// <summary>The opened shards, and which shard holds each tensor.</summary>
    public static (List<SafetensorsFile> Files, Dictionary<string, SafetensorsFile> Owners) Load(string directory, string indexPath)
    {
        var weightMap = CheckpointIndex.ReadWeightMap(indexPath);
        var shardNames = FindShards(directory, indexPath, weightMap);
        var files = new List<SafetensorsFile>(shardNames.Count);
        try
        {
            foreach (string shard in shardNames)
                files.Add(SafetensorsFile.Open(Path.Combine(directory, shard)));
            var owners = AssignOwners(indexPath, files);
            CheckWeightMap(indexPath, weightMap, owners);
            return (files, owners);
        }
        catch
        {
            foreach (var file in files) file.Dispose();
            throw;
        }
    }

    // Checks every shard exists before mapping any, so a missing download fails fast and by name.
    private static List<string> FindShards(string directory, string indexPath, List<KeyValuePair<string, string>> weightMap)
    {
        var shards = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (tensor, shard) in weightMap)
        {
            if (!seen.Add(shard)) continue;
            string path = Path.Combine(directory, shard);
            if (!File.Exists(path))
                throw new SafetensorsException(indexPath, tensor, $"\"weight_map\" names shard \"{shard}\", but {path} does not exist");
            shards.Add(shard);
        }
        return shards;
    }

    private static Dictionary<string, SafetensorsFile> AssignOwners(string indexPath, List<SafetensorsFile> files)
    {
        var owners = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (string tensor in file.Tensors.Keys)
            {
                if (!owners.TryAdd(tensor, file))
                    throw new SafetensorsException(indexPath, tensor, $"appears in two shards: {owners[tensor].FilePath} and {file.FilePath}");
            }
        }
        return owners;
    }

    private static void CheckWeightMap(string indexPath, List<KeyValuePair<string, string>> weightMap,
        Dictionary<string, SafetensorsFile> owners)
    {
        foreach (var (tensor, shard) in weightMap)
        {
            if (!owners.TryGetValue(tensor, out var owner))
                throw new SafetensorsException(indexPath, tensor, $"\"weight_map\" puts it in shard \"{shard}\", but that shard does not contain it");
            string actual = Path.GetFileName(owner.FilePath);
            if (actual != shard)
                throw new SafetensorsException(indexPath, tensor, $"\"weight_map\" puts it in shard \"{shard}\", but it is in shard \"{actual}\"");
        }
    }
}
