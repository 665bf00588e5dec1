namespace BlitzScale.Cli.Commands;

/// <summary>The text of <c>blitz status</c>.</summary>
internal static class StatusTable
{
    public static void Write(ClusterStatus status, TextWriter o)
    {
        o.WriteLine($"{"host",-12} {"gpu",-18} {"backend",-16} {"memory used / total",24} residents");
        foreach (var host in status.Hosts)
        {
            if (host.Unreachable is { } why) o.WriteLine($"{host.Host.Host,-12} {"-",-18} {"unreachable",-16} {"-",24} {why}");
            foreach (var gpu in host.Gpus)
            {
                string memory = $"{gpu.MemoryUsedBytes / 1e9:F2} / {gpu.MemoryTotalBytes / 1e9:F2} GB";
                string backend = gpu.Emulated ? gpu.Backend + " (emulated)" : gpu.Backend;
                o.WriteLine($"{host.Host.Host,-12} {gpu.Key,-18} {backend,-16} {memory,24} {string.Join(", ", gpu.Residents.Select(r => r.Warm ? r.Shard + " (warm)" : r.Shard))}");
            }
        }
        if (status.Hosts.Count == 0) o.WriteLine("(no hosts)");
        // An emulated GPU's tokens and times are not real: say how they are made, once per distinct backend.
        foreach (var emulated in status.Hosts.SelectMany(h => h.Gpus).Where(g => g.Emulated).GroupBy(g => g.BackendDescription ?? g.Backend, StringComparer.Ordinal))
            o.WriteLine($"emulated GPUs {string.Join(", ", emulated.Select(g => g.Key))}: {emulated.Key}; their tokens are pseudo-tokens");
        o.WriteLine();
        o.WriteLine($"{"host",-12} {"data plane",-22} {"model copies in memory",-40} {"copy bytes / memory",26}");
        foreach (var memory in status.HostMemory)
        {
            string address = status.Hosts.FirstOrDefault(h => h.Host.Host == memory.Host)?.Host.DataAddress ?? "-";
            string copies = memory.Copies.Count == 0 ? "-" : string.Join(", ", memory.Copies.Select(c => c.Complete ? c.Model : c.Model + " (loading)"));
            o.WriteLine($"{memory.Host,-12} {address,-22} {copies,-40} {$"{memory.CopyBytes / 1e9:F2} / {memory.MemoryBytes / 1e9:F2} GB",26}");
        }
        o.WriteLine();
        o.WriteLine($"{"model",-16} {"instance",-24} {"gpu",-18} {"state",-8} {"layers",7} {"waiting",7} {"running",7} {"kv used",12} {"tokens/s",9}");
        foreach (var model in status.Models)
        {
            foreach (var i in model.Instances)
            {
                o.WriteLine($"{model.Model,-16} {i.Shard,-24} {i.Gpu,-18} {i.State,-8} {$"{i.LoadedLayers}/{i.TotalLayers}",7} {i.Waiting,7} {i.Running,7} {$"{i.KvBlocksUsed}/{i.KvBlocksTotal}",12} {i.TokensPerSecond,9:F1}");
                if (i.LoadedFrom is { } from) o.WriteLine($"    loaded {i.LoadedBytes / 1e6:F1} MB in {i.LoadSeconds:F3} s from {from}");
                // What the autoscaler counts on for its prefill capacity until it has measured the model under load.
                if (i.RatedPrefillTokensPerSecond > 0) o.WriteLine($"    prefill rated {i.RatedPrefillTokensPerSecond:F0} tokens/s at start");
                // A LiveNew's ledger: what it did with the requests it took while its layers landed (so far, or as it ended).
                if (i.LiveServed is { } live) o.WriteLine($"    served live while loading: {live}");
                if (i.Error is { } error) o.WriteLine($"    error: {error}");
            }
            string copies = model.HostCopies is { Count: > 0 } hosts ? string.Join(", ", hosts) : "none";
            o.WriteLine($"{model.Model,-16} policy {model.Policy.ToString().ToLowerInvariant()}, host copies: {copies}, queue {model.QueueLength}, {model.TokensPerSecond:F1} tokens/s");
            AutoscaleLines.Write(model, o);
        }
        if (status.Models.Count == 0 && status.Unanswered.Count == 0) o.WriteLine("(no models deployed)");
        foreach (string part in status.Unanswered) o.WriteLine($"unanswered: {part}");
    }
}
