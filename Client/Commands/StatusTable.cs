namespace BlitzScale.Client.Commands;

/// <summary>The text of <c>blitz status</c>.</summary>
internal static class StatusTable
{
    public static void Write(ClusterStatus status, TextWriter o)
    {
        o.WriteLine($"{"host",-12} {"gpu",-18} {"backend",-7} {"memory used / total",24} residents");
        foreach (var host in status.Hosts)
        {
            foreach (var gpu in host.Gpus)
            {
                string memory = $"{gpu.MemoryUsedBytes / 1e9:F2} / {gpu.MemoryTotalBytes / 1e9:F2} GB";
                o.WriteLine($"{host.Host.Host,-12} {gpu.Key,-18} {gpu.Backend,-7} {memory,24} {string.Join(", ", gpu.Residents.Select(r => r.Shard))}");
            }
        }
        if (status.Hosts.Count == 0) o.WriteLine("(no hosts)");
        o.WriteLine();
        o.WriteLine($"{"model",-16} {"instance",-24} {"gpu",-18} {"state",-8} {"layers",7} {"waiting",7} {"running",7} {"kv used",12} {"tokens/s",9}");
        foreach (var model in status.Models)
        {
            foreach (var i in model.Instances)
            {
                o.WriteLine($"{model.Model,-16} {i.Shard,-24} {i.Gpu,-18} {i.State,-8} {$"{i.LoadedLayers}/{i.TotalLayers}",7} {i.Waiting,7} {i.Running,7} {$"{i.KvBlocksUsed}/{i.KvBlocksTotal}",12} {i.TokensPerSecond,9:F1}");
                if (i.Error is { } error) o.WriteLine($"    error: {error}");
            }
            o.WriteLine($"{model.Model,-16} queue {model.QueueLength}, {model.TokensPerSecond:F1} tokens/s");
        }
        if (status.Models.Count == 0) o.WriteLine("(no models deployed)");
    }
}
