using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// What <c>blitz bench multicast</c> measured, filled in as it goes (a failed run still reports what it got, and why it
/// stopped). Seconds are the shards' own <see cref="Grains.Interfaces.Serving.InstanceStatus.LoadSeconds"/>; MB is 10^6 bytes.
/// </summary>
internal sealed class MulticastReport
{
    public const double GoalLinkUtilization = 0.9;
    public const double GoalChainRatio = 1.15;
    /// <summary>The chain length the chain-ratio goal is stated for.</summary>
    public const int GoalChainTargets = 3;

    public required string Model { get; init; }
    public required int Hosts { get; init; }
    public required int LinkMbit { get; init; }
    /// <summary>The emulated storage read rate of every host (silo <c>--storage-mbps</c>).</summary>
    [JsonPropertyName("storage_MBps")] public required double StorageMBps { get; init; }
    public required int Rounds { get; init; }
    public required MachineFacts Machine { get; init; }
    public long ModelBytes { get; set; }

    [JsonPropertyName("raw_link_MBps")] public double? RawLinkMBps { get; set; }
    [JsonPropertyName("transfer_MBps")] public double? TransferMBps { get; set; }
    public double? LinkUtilization { get; set; }
    public string? TransferLoadedFrom { get; set; }

    /// <summary>n → slowest of the n chain targets' load seconds, best round.</summary>
    public SortedDictionary<int, double> ChainSeconds { get; } = [];
    public SortedDictionary<int, double> ChainRatio { get; } = [];
    /// <summary>n → sum of n one-after-another loads from the single source, best round.</summary>
    public SortedDictionary<int, double> FanoutSeconds { get; } = [];
    public SortedDictionary<int, double> FanoutRatio { get; } = [];
    /// <summary>Every load measured, in order.</summary>
    public List<LoadSample> Loads { get; } = [];

    public double? StorageSeconds { get; set; }
    public string? StorageLoadedFrom { get; set; }
    public bool? StoragePageCacheDropped { get; set; }
    /// <summary>How long the cold host's memory copy took to read the model files (the cold instance fetched from it as it filled).</summary>
    public double? StorageHostCopySeconds { get; set; }
    /// <summary>Deploy request to the cold instance seen serving, as the client saw it (includes the file read that overlapped the shard's set-up).</summary>
    public double? StorageWallSeconds { get; set; }
    public double? HostCacheSeconds { get; set; }
    /// <summary>Scale request to the host-cache instance seen serving, as the client saw it.</summary>
    public double? HostCacheWallSeconds { get; set; }
    public string? HostCacheLoadedFrom { get; set; }

    /// <summary>policy → bytes of the model's host-memory copies summed over hosts after scaling to every host.</summary>
    public SortedDictionary<string, long> HostCacheBytes { get; } = [];
    /// <summary>policy → host → bytes.</summary>
    public SortedDictionary<string, IReadOnlyDictionary<string, long>> HostCacheBytesByHost { get; } = [];

    /// <summary>Silo and machine CPU use during each chain round (key "n=…, round …") and over all chain rounds.</summary>
    public SortedDictionary<string, CpuUse> ChainCpu { get; } = [];
    public CpuUse? ChainCpuTotal { get; set; }
    public CpuUse? TransferCpu { get; set; }

    public Dictionary<string, double> Goals { get; } = new()
    {
        ["link_utilization_min"] = GoalLinkUtilization,
        [$"chain_ratio_{GoalChainTargets}_max"] = GoalChainRatio,
    };
    public Dictionary<string, bool> GoalsMet { get; } = [];
    public string? Error { get; set; }

    /// <summary>Derives the ratios and goal checks from the measured figures.</summary>
    public void Finish()
    {
        if (RawLinkMBps is > 0 && TransferMBps is { } transfer) LinkUtilization = Math.Round(transfer / RawLinkMBps.Value, 3);
        if (ChainSeconds.TryGetValue(1, out double one) && one > 0)
        {
            foreach (var (n, s) in ChainSeconds) ChainRatio[n] = Math.Round(s / one, 3);
            foreach (var (n, s) in FanoutSeconds) FanoutRatio[n] = Math.Round(s / one, 3);
        }
        if (LinkUtilization is { } u) GoalsMet["link_utilization"] = u >= GoalLinkUtilization;
        if (ChainRatio.TryGetValue(GoalChainTargets, out double r)) GoalsMet[$"chain_ratio_{GoalChainTargets}"] = r <= GoalChainRatio;
    }

    /// <summary>The figures as a table for people, goals beside them.</summary>
    public string Table()
    {
        var text = new StringBuilder();
        void Row(string name, string value, string goal = "") =>
            text.AppendLine(CultureInfo.InvariantCulture, $"  {name,-26} {value,-22} {goal}");
        string F(double? v, string format = "F3") => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "—";
        text.AppendLine(CultureInfo.InvariantCulture,
            $"bench multicast: {Hosts} hosts, {LinkMbit} Mbit/s links, storage {StorageMBps:F0} MB/s, {Model} ({ModelBytes / 1e6:F1} MB), {Machine.Cores} cores, best of {Rounds} round(s)");
        Row("raw_link_MBps", F(RawLinkMBps, "F1"));
        Row("transfer_MBps", F(TransferMBps, "F1"));
        Row("link_utilization", F(LinkUtilization), Goal("link_utilization", $"goal ≥ {GoalLinkUtilization}"));
        foreach (var (n, s) in ChainSeconds)
        {
            Row($"chain_seconds[{n}]", $"{F(s)} s", "");
            if (ChainRatio.TryGetValue(n, out double r))
                Row($"chain_ratio[{n}]", F(r), n == GoalChainTargets ? Goal($"chain_ratio_{GoalChainTargets}", $"goal ≤ {GoalChainRatio}") : "");
        }
        foreach (var (n, s) in FanoutSeconds)
            Row($"fanout_seconds[{n}]", $"{F(s)} s", FanoutRatio.TryGetValue(n, out double r) ? $"ratio {F(r)}" : "");
        Row("storage_seconds", $"{F(StorageSeconds)} s", $"{StorageLoadedFrom}; request to serving {F(StorageWallSeconds)} s, host copy filled in {F(StorageHostCopySeconds)} s");
        Row("host_cache_seconds", $"{F(HostCacheSeconds)} s", $"{HostCacheLoadedFrom}; request to serving {F(HostCacheWallSeconds)} s");
        foreach (var (policy, bytes) in HostCacheBytes)
            Row($"host_cache_bytes[{policy}]", $"{bytes / 1e6:F1} MB", Model is null || ModelBytes == 0 ? "" : $"{(double)bytes / ModelBytes:F2} model copies");
        if (ChainCpuTotal is { } cpu)
            Row("chain cpu (cores busy)", $"silos {cpu.ProcessCores:F2}", $"machine {cpu.MachineBusyCores:F2} of {cpu.MachineCores}");
        if (Error is not null) text.AppendLine(CultureInfo.InvariantCulture, $"  stopped early: {Error}");
        return text.ToString();
    }

    private string Goal(string key, string goal) =>
        GoalsMet.TryGetValue(key, out bool met) ? $"{goal} {(met ? "(met)" : "(NOT met)")}" : goal;
}

/// <summary>The machine the run shared: all emulated hosts are processes on it.</summary>
internal sealed record MachineFacts(int Cores, [property: JsonPropertyName("memory_gib")] double MemoryGiB, string Os);

/// <summary>One measured load: which experiment, where, how long, how much, from where.</summary>
internal sealed record LoadSample(string Experiment, int Round, int Targets, string Gpu, double LoadSeconds, long LoadedBytes,
    [property: JsonPropertyName("MBps")] double MBps, string? LoadedFrom);
