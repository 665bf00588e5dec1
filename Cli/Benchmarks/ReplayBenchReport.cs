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
    /// <summary>Policy name → its replay, in the order run (the first round; the plot draws it).</summary>
    public Dictionary<string, ReplayResult> Policies { get; } = [];
    /// <summary>With <c>--rounds</c> above 1: the second round on, each in the order it ran.</summary>
    public List<BenchRound<ReplayResult>> LaterRounds { get; } = [];
    /// <summary>Each round's ratios, the first round first.</summary>
    public List<ReplayRoundFigures> RoundFigures { get; } = [];
    /// <summary>Baseline → blitz's p99 TTFT ÷ the baseline's in the same round; the median of the rounds'.</summary>
    [JsonPropertyName("p99_ttft_ratio")] public Dictionary<string, double?> P99TtftRatio { get; } = [];
    /// <summary>blitz's GPU-seconds ÷ static-peak's in the same round; the median of the rounds'.</summary>
    [JsonPropertyName("gpu_seconds_ratio")] public Dictionary<string, double?> GpuSecondsRatio { get; } = [];
    /// <summary>Policy → its share of requests within both objectives; the median of the rounds'.</summary>
    public Dictionary<string, double?> SloAttainment { get; } = [];
    /// <summary>
    /// The lowest <c>p99_ttft_ratio.allcache</c> ideal live pairs of the loads blitz pairs could reach in the fluid model fed
    /// with blitz-fast's run, over the model's allcache p99 (<see cref="ReplayPairModel"/>); the median of the rounds'.
    /// </summary>
    public double? P99TtftIdealRatioAllcache { get; set; }
    /// <summary>The same with those loads in complementary orders, a design the grid does not have; the median of the rounds'.</summary>
    public double? P99TtftIdealRatioAllcacheComplementary { get; set; }
    /// <summary>The same with every load ideally paired, the host copy's too (the grid keeps it out); the median of the rounds'.</summary>
    public double? P99TtftIdealRatioAllcacheEveryLoad { get; set; }
    /// <summary>Policy → requests lost in every round together (must be 0); null when a round has no figure for it.</summary>
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

    [JsonIgnore] public bool Failed => Error is not null || AllRounds().Any(round => round.Values.Any(p => p.Error is not null));

    public void DropLogs()
    {
        foreach (var run in AllRounds().SelectMany(round => round.Values)) run.DropLogs();
    }

    /// <summary>Derives each round's ratios, their medians, the attainments, lost counts and goal checks from the policies' figures.</summary>
    public void Finish()
    {
        RoundFigures.Clear();
        RoundFigures.AddRange(AllRounds().Select(round => ReplayRoundFigures.Of(round, Needs?.CapacityRps)));
        foreach (string key in (string[])["sllm", "allcache"]) P99TtftRatio[key] = Median(RoundFigures.Select(r => r.P99TtftRatio[key]));
        GpuSecondsRatio["static_peak"] = Median(RoundFigures.Select(r => r.GpuSecondsRatio["static_peak"]));
        P99TtftIdealRatioAllcache = Median(RoundFigures.Select(r => r.PairModel?.IdealRatioBlitzPairs));
        P99TtftIdealRatioAllcacheComplementary = Median(RoundFigures.Select(r => r.PairModel?.IdealRatioComplementary));
        P99TtftIdealRatioAllcacheEveryLoad = Median(RoundFigures.Select(r => r.PairModel?.IdealRatioEveryLoad));
        var rounds = AllRounds().ToList();
        foreach (string name in Policies.Keys)
        {
            var figures = rounds.Select(round => round.GetValueOrDefault(name)?.Figures).ToList();
            SloAttainment[name] = Median(figures.Select(f => f?.SloAttainment));
            LostRequests[name] = figures.All(f => f is not null) ? figures.Sum(f => f!.Lost) : null;
        }
        GoalsMet["p99_ttft_ratio_sllm"] = P99TtftRatio["sllm"] is { } s ? s <= GoalTtftSllm : null;
        GoalsMet["p99_ttft_ratio_allcache"] = P99TtftRatio["allcache"] is { } a ? a <= GoalTtftAllCache : null;
        GoalsMet["gpu_seconds_ratio_static_peak"] = GpuSecondsRatio["static_peak"] is { } g ? g <= GoalGpuSecondsStaticPeak : null;
        GoalsMet["lost_requests"] = LostRequests.Count > 0 && LostRequests.Values.All(l => l is not null) ? LostRequests.Values.Sum() == 0 : null;
    }

    private IEnumerable<Dictionary<string, ReplayResult>> AllRounds() => [Policies, .. LaterRounds.Select(r => r.Policies)];

    // Ratios to 3 digits, attainments to 4, as each round reports them.
    private static double? Median(IEnumerable<double?> figures) => Percentiles.MedianOfPresent(figures, 4);

    internal static double? Ratio(double? blitz, double? other) => blitz is { } b && other is > 0 ? Math.Round(b / other.Value, 3) : null;
}

/// <summary>One round's ratios: blitz's p99 TTFT ÷ sllm's and allcache's, and its GPU-seconds ÷ static-peak's, in that round.</summary>
internal sealed class ReplayRoundFigures
{
    /// <summary>The policies in the order they ran.</summary>
    public required IReadOnlyList<string> Order { get; init; }
    [JsonPropertyName("p99_ttft_ratio")] public required Dictionary<string, double?> P99TtftRatio { get; init; }
    [JsonPropertyName("gpu_seconds_ratio")] public required Dictionary<string, double?> GpuSecondsRatio { get; init; }
    /// <summary>blitz's p99 TTFT ÷ blitz-fast's in this round: what live scaling did on this window.</summary>
    public double? P99TtftRatioBlitzFast { get; init; }
    /// <summary>What ideal pairs could give in this round against allcache (<see cref="ReplayPairModel"/>); null without blitz-fast's and allcache's runs.</summary>
    public ReplayPairModelFigures? PairModel { get; init; }

    /// <summary>The round's figures; <paramref name="capacityRps"/> is one instance's predicted capacity, for <see cref="ReplayPairModel"/>.</summary>
    public static ReplayRoundFigures Of(Dictionary<string, ReplayResult> runs, double? capacityRps)
    {
        double? P99(string policy) => runs.GetValueOrDefault(policy)?.Figures?.TtftMs?.P99;
        double? blitz = P99("blitz");
        return new ReplayRoundFigures
        {
            Order = [.. runs.Keys],
            P99TtftRatio = new() { ["sllm"] = ReplayBenchReport.Ratio(blitz, P99("sllm")), ["allcache"] = ReplayBenchReport.Ratio(blitz, P99("allcache")) },
            GpuSecondsRatio = new()
            {
                ["static_peak"] = ReplayBenchReport.Ratio(runs.GetValueOrDefault("blitz")?.Figures?.GpuSeconds, runs.GetValueOrDefault("static-peak")?.Figures?.GpuSeconds),
            },
            P99TtftRatioBlitzFast = ReplayBenchReport.Ratio(blitz, P99("blitz-fast")),
            PairModel = ReplayPairModel.Of(runs.GetValueOrDefault("blitz-fast"), runs.GetValueOrDefault("allcache"), capacityRps),
        };
    }
}
