using System.Text.Json.Serialization;
using BlitzScale.Cli.Replay;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// What <c>blitz bench replay</c> measured: the setting (backend, profile, dilation, testbed, trace window, capacity and
/// needs), each policy's replay, the ratios blitz ÷ baseline and the goals. A failed run still reports what it got.
/// </summary>
internal sealed class ReplayBenchReport : ReplayBenchSettingReport
{
    /// <summary>Goal: blitz's p99 TTFT ÷ sllm's.</summary>
    public const double GoalTtftSllm = 0.5;
    /// <summary>Goal: blitz's p99 TTFT ÷ allcache's.</summary>
    public const double GoalTtftAllCache = 0.95;
    /// <summary>Goal: blitz's GPU-seconds ÷ static-peak's.</summary>
    public const double GoalGpuSecondsStaticPeak = 0.7;

    public int ContextTokens { get; set; }
    public ReplayNeeds? Needs { get; set; }
    /// <summary>The objectives in the real cluster's ms, before the dilation.</summary>
    public ReplaySlo? RealSlo { get; set; }
    public string Autoscaler { get; set; } = ReplayBenchPolicy.AutoscalerState;
    public string CacheIsolation { get; set; } = "";
    public string Times => "seconds and ms as measured (wall clock, dilation included); ratios are dilation-free";
    /// <summary>Policy name → its replay, in the order run.</summary>
    public Dictionary<string, ReplayResult> Policies { get; } = [];
    [JsonPropertyName("p99_ttft_ratio")] public Dictionary<string, double?> P99TtftRatio { get; } = [];
    [JsonPropertyName("gpu_seconds_ratio")] public Dictionary<string, double?> GpuSecondsRatio { get; } = [];
    /// <summary>Policy → its share of requests within both objectives.</summary>
    public Dictionary<string, double?> SloAttainment { get; } = [];
    /// <summary>Policy → requests lost (must be 0).</summary>
    public Dictionary<string, int?> LostRequests { get; } = [];
    public Dictionary<string, double> Goals { get; } = new()
    {
        ["p99_ttft_ratio_sllm_max"] = GoalTtftSllm,
        ["p99_ttft_ratio_allcache_max"] = GoalTtftAllCache,
        ["gpu_seconds_ratio_static_peak_max"] = GoalGpuSecondsStaticPeak,
        ["lost_requests_max"] = 0,
    };
    /// <summary>Goal → met; null when its figure is missing.</summary>
    public Dictionary<string, bool?> GoalsMet { get; } = [];
    public string? Error { get; set; }

    [JsonIgnore] public bool Failed => Error is not null || Policies.Values.Any(p => p.Error is not null);

    public void DropLogs()
    {
        foreach (var run in Policies.Values) run.DropLogs();
    }

    /// <summary>Derives the ratios, attainments, lost counts and goal checks from the policies' figures.</summary>
    public void Finish()
    {
        var blitz = Policies.GetValueOrDefault("blitz")?.Figures;
        P99TtftRatio["sllm"] = Ratio(blitz?.TtftMs?.P99, Policies.GetValueOrDefault("sllm")?.Figures?.TtftMs?.P99);
        P99TtftRatio["allcache"] = Ratio(blitz?.TtftMs?.P99, Policies.GetValueOrDefault("allcache")?.Figures?.TtftMs?.P99);
        GpuSecondsRatio["static_peak"] = Ratio(blitz?.GpuSeconds, Policies.GetValueOrDefault("static-peak")?.Figures?.GpuSeconds);
        foreach (var (name, run) in Policies)
        {
            SloAttainment[name] = run.Figures?.SloAttainment;
            LostRequests[name] = run.Figures?.Lost;
        }
        GoalsMet["p99_ttft_ratio_sllm"] = P99TtftRatio["sllm"] is { } s ? s <= GoalTtftSllm : null;
        GoalsMet["p99_ttft_ratio_allcache"] = P99TtftRatio["allcache"] is { } a ? a <= GoalTtftAllCache : null;
        GoalsMet["gpu_seconds_ratio_static_peak"] = GpuSecondsRatio["static_peak"] is { } g ? g <= GoalGpuSecondsStaticPeak : null;
        GoalsMet["lost_requests"] = LostRequests.Count > 0 && LostRequests.Values.All(l => l is not null) ? LostRequests.Values.Sum() == 0 : null;
    }

    private static double? Ratio(double? blitz, double? other) => blitz is { } b && other is > 0 ? Math.Round(b / other.Value, 3) : null;
}
