using System.Text.Json.Serialization;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// What <c>blitz bench live</c> measured: the setting (backend, profile, dilation, link, shape, capacity, rates), each
/// policy's run, and blitz's burst p99 TTFT over each baseline's with the goals. A failed run still reports what it got.
/// </summary>
internal sealed class LiveReport
{
    /// <summary>Goal: blitz's burst p99 TTFT ÷ blitz-fast's (what live scaling alone buys).</summary>
    public const double GoalRatioBlitzFast = 0.7;
    /// <summary>Goal: blitz's burst p99 TTFT ÷ sllm's.</summary>
    public const double GoalRatioSllm = 0.3;
    /// <summary>Goal: blitz's first_token_s ÷ full_load_s (tokens flow long before the load ends).</summary>
    public const double GoalFirstTokenShare = 0.3;

    /// <summary>The baselines blitz is compared with, by their key in <see cref="P99TtftRatio"/> and their policy name.</summary>
    public static readonly IReadOnlyList<(string Key, string Policy)> Baselines = [("blitz_fast", "blitz-fast"), ("sllm", "sllm"), ("allcache", "allcache")];

    /// <summary>The backend in words; a timed one names its profile and dilation.</summary>
    public string Backend { get; set; } = "";
    /// <summary>Whether compute was emulated (timed).</summary>
    public bool Emulated { get; set; }
    public string? CostProfile { get; set; }
    public string? CostModel { get; set; }
    /// <summary>timed: D.</summary>
    public double? TimeDilation { get; set; }
    /// <summary>timed: how D was chosen (derived from the link and the layer bytes, or given).</summary>
    public string? TimeDilationSource { get; set; }
    /// <summary>timed: the emulated PCIe rate of a copy from a host's memory into a GPU (sllm's and allcache's loads).</summary>
    [JsonPropertyName("host_to_device_MBps")] public double? HostToDeviceMBps { get; set; }
    public string? HostToDeviceSource { get; set; }
    /// <summary>timed: the share of each hidden-state and key/value row a live pair sends, and how it was chosen.</summary>
    public double? ActivationShare { get; set; }
    public string? ActivationShareSource { get; set; }
    public int LinkMbit { get; set; }
    [JsonPropertyName("storage_MBps")] public double StorageMBps { get; set; }
    public string Model { get; set; } = "";
    /// <summary>The synthetic shape and dtype, when no --model was given.</summary>
    public string? Shape { get; set; }
    public long ModelBytes { get; set; }
    public long LayerBytes { get; set; }
    public int Layers { get; set; }
    /// <summary>Seconds a full image takes over one link at its rate (the payload share of a frame left out).</summary>
    public double LinkLoadSeconds { get; set; }
    public int Hosts { get; set; }
    public int GpusPerHost { get; set; }
    public int NewInstances { get; set; }
    public int SequencesPerInstance { get; set; }
    public int KvBlocks { get; set; }
    public int PromptTokens { get; set; }
    public int OutputTokens { get; set; }
    public int Seed { get; set; }
    /// <summary>Whether round r played the arrivals of <see cref="Seed"/> + r − 1 (--seed-per-round), not <see cref="Seed"/>'s every round.</summary>
    public bool SeedPerRound { get; set; }
    public int Cores { get; set; }
    /// <summary>Cores each host's silo was pinned to (testbed.sh up --cpus-per-host), or 0: every silo ran on every core.</summary>
    public int CpusPerHost { get; set; }
    /// <summary>Tokens per batching step of every instance (--max-batch-tokens, else the default).</summary>
    public int MaxBatchTokens { get; set; }
    /// <summary>Each emulated GPU's memory, GiB: 2, or one instance's parameters and KV blocks with an eighth to spare.</summary>
    [JsonPropertyName("gpu_memory_GiB")] public double GpuMemoryGiB { get; set; }
    /// <summary>Whether the new instances were kept off the busy instance's host and the host copy's (--new-over-network; <see cref="LiveTargets"/>).</summary>
    public bool NewOverNetwork { get; set; }
    /// <summary>When a LiveNew moved a split request's keys and values to its LiveOld (--live-move): never, when-waiting or after-prompt.</summary>
    public string LiveMove { get; set; } = "never";
    /// <summary>
    /// Whether the silos could plan loads in complementary orders for blitz (--complementary-loads): a network chain's last
    /// new instance loading last layers first from the host copy, to serve with the chain's new last one as a pipeline.
    /// </summary>
    public bool ComplementaryLoads { get; set; } = true;
    public LiveCapacity? Capacity { get; set; }
    public double SteadyRps { get; set; }
    public double SteadySeconds { get; set; }
    public double BurstRps { get; set; }
    public double BurstSeconds { get; set; }
    /// <summary>Burst rate ÷ one instance's capacity (should be ≥ 2).</summary>
    public double? BurstOverCapacity { get; set; }
    /// <summary>The warm-up's scale to 1 + N under a closed loop of twice one instance's batch: seconds until the scale call returned (every new instance placed and loading).</summary>
    public double? WarmupScaleCallSeconds { get; set; }
    /// <summary>The warm-up's scale to 1 + N under that load: seconds until every new instance served (its full load, blitz's loading, live).</summary>
    public double? WarmupFullLoadSeconds { get; set; }
    /// <summary>Whether a new instance of the warm-up's scale was seen serving live (LiveNew): the live path ran before the measured runs.</summary>
    public bool? WarmupLivePaired { get; set; }
    /// <summary>How each policy was kept from profiting from the one before.</summary>
    public string CacheIsolation { get; set; } = "";
    /// <summary>The environment the testbed's silos ran with (MulticastTestbed.SiloEnvironment: JIT settings).</summary>
    public IReadOnlyDictionary<string, string> SiloEnvironment { get; set; } = MulticastTestbed.SiloEnvironment;
    /// <summary>Every time is as measured (wall clock), dilation included.</summary>
    public string Times => "seconds and ms as measured (wall clock, dilation included); ratios are dilation-free";
    /// <summary>Policy name → its run, in the order run (the first round; the plot draws it).</summary>
    public Dictionary<string, LivePolicyRun> Policies { get; } = [];
    /// <summary>With <c>--rounds</c> above 1: the second round on, each in the order it ran.</summary>
    public List<BenchRound<LivePolicyRun>> LaterRounds { get; } = [];
    /// <summary>Each round's ratios and blitz's first-token share, the first round first.</summary>
    public List<LiveRoundFigures> RoundFigures { get; } = [];
    /// <summary>
    /// Baseline key → blitz's burst p99 TTFT ÷ the baseline's, in the same round; with more than one round, the median of the
    /// rounds' ratios. Null when either was not run or has no figure.
    /// </summary>
    [JsonPropertyName("p99_ttft_ratio")] public Dictionary<string, double?> P99TtftRatio { get; } = [];
    /// <summary>blitz's first_token_s ÷ full_load_s; with more than one round, the median of the rounds'.</summary>
    public double? FirstTokenShare { get; set; }
    /// <summary>
    /// blitz's early burst p99 (<see cref="LiveFigures.EarlyBurstP99TtftMs"/>) ÷ blitz-fast's burst p99, in the same round; the
    /// median of the rounds'. The lowest <c>p99_ttft_ratio.blitz_fast</c> blitz could reach with the requests that arrived
    /// before its first new instance was whole served as they were, whatever it did after.
    /// </summary>
    public double? P99TtftFloorRatioBlitzFast { get; set; }
    /// <summary>
    /// The lowest <c>p99_ttft_ratio.blitz_fast</c> an ideal live pair of the loads blitz pairs could reach (<see cref="LivePairModel"/>,
    /// fed with blitz-fast's run); the median of the rounds'.
    /// </summary>
    public double? P99TtftIdealRatioBlitzFast { get; set; }
    /// <summary>The same with every new instance's load ideally paired, the host copy's too; the median of the rounds'.</summary>
    public double? P99TtftIdealRatioBlitzFastEveryLoad { get; set; }
    /// <summary>
    /// The same with the loads blitz pairs in complementary orders, a design the grid does not have
    /// (<see cref="LivePairModel.ComplementaryRate"/>); the median of the rounds'.
    /// </summary>
    public double? P99TtftIdealRatioBlitzFastComplementary { get; set; }
    public Dictionary<string, double> Goals { get; } = new()
    {
        ["p99_ttft_ratio_blitz_fast_max"] = GoalRatioBlitzFast,
        ["p99_ttft_ratio_sllm_max"] = GoalRatioSllm,
        ["first_token_share_max"] = GoalFirstTokenShare,
    };
    /// <summary>Goal → met; null when its figure is missing.</summary>
    public Dictionary<string, bool?> GoalsMet { get; } = [];
    public string? Error { get; set; }

    /// <summary>Whether any policy failed (an error, or a request that failed) in any round, or the run stopped early.</summary>
    public bool Failed => Error is not null || AllRounds().Any(round => round.Values.Any(p => p.Error is not null));

    /// <summary>Drops every policy's request log (what stdout gets; the --json file and the plot keep them).</summary>
    public void DropLogs()
    {
        foreach (var run in AllRounds().SelectMany(round => round.Values)) run.Log = null;
    }

    /// <summary>Derives each round's ratios, their medians and the goal checks from the policies' figures.</summary>
    public void Finish()
    {
        RoundFigures.Clear();
        RoundFigures.AddRange(AllRounds().Select(round => LiveRoundFigures.Of(round, Capacity?.UsedRps)));
        foreach (var (key, _) in Baselines) P99TtftRatio[key] = Median(RoundFigures.Select(r => r.P99TtftRatio[key]));
        FirstTokenShare = Median(RoundFigures.Select(r => r.FirstTokenShare));
        P99TtftFloorRatioBlitzFast = Median(RoundFigures.Select(r => r.P99TtftFloorRatioBlitzFast));
        P99TtftIdealRatioBlitzFast = Median(RoundFigures.Select(r => r.PairModel?.IdealRatioBlitzPairs));
        P99TtftIdealRatioBlitzFastEveryLoad = Median(RoundFigures.Select(r => r.PairModel?.IdealRatioEveryLoad));
        P99TtftIdealRatioBlitzFastComplementary = Median(RoundFigures.Select(r => r.PairModel?.IdealRatioComplementary));
        GoalsMet["p99_ttft_ratio_blitz_fast"] = P99TtftRatio["blitz_fast"] is { } f ? f <= GoalRatioBlitzFast : null;
        GoalsMet["p99_ttft_ratio_sllm"] = P99TtftRatio["sllm"] is { } s ? s <= GoalRatioSllm : null;
        GoalsMet["first_token_share"] = FirstTokenShare is { } share ? share <= GoalFirstTokenShare : null;
    }

    private IEnumerable<Dictionary<string, LivePolicyRun>> AllRounds() => [Policies, .. LaterRounds.Select(r => r.Policies)];

    private static double? Median(IEnumerable<double?> figures) => Percentiles.MedianOfPresent(figures);
}

/// <summary>One round's figures: blitz's burst p99 TTFT ÷ each baseline's in that round, and blitz's first-token share.</summary>
internal sealed class LiveRoundFigures
{
    /// <summary>The policies in the order they ran.</summary>
    public required IReadOnlyList<string> Order { get; init; }
    /// <summary>The seed of the arrivals the round played.</summary>
    public int? Seed { get; init; }
    [JsonPropertyName("p99_ttft_ratio")] public required Dictionary<string, double?> P99TtftRatio { get; init; }
    public double? FirstTokenShare { get; init; }
    /// <summary>blitz's early burst p99 ÷ blitz-fast's burst p99 in this round (<see cref="LiveReport.P99TtftFloorRatioBlitzFast"/>).</summary>
    public double? P99TtftFloorRatioBlitzFast { get; init; }
    /// <summary>What ideal pairs could give in this round (<see cref="LivePairModel"/>); null without a blitz-fast run or a capacity.</summary>
    public LivePairModelFigures? PairModel { get; init; }

    /// <summary>The round's figures; <paramref name="capacityRps"/> is one instance's capacity, for <see cref="LivePairModel"/>.</summary>
    public static LiveRoundFigures Of(Dictionary<string, LivePolicyRun> runs, double? capacityRps = null)
    {
        double? blitz = runs.GetValueOrDefault("blitz")?.Figures?.BurstTtftMs?.P99;
        var ratios = new Dictionary<string, double?>();
        foreach (var (key, policy) in LiveReport.Baselines)
        {
            double? other = runs.GetValueOrDefault(policy)?.Figures?.BurstTtftMs?.P99;
            ratios[key] = blitz is { } b && other is > 0 ? Math.Round(b / other.Value, 3) : null;
        }
        double? early = runs.GetValueOrDefault("blitz")?.Figures?.EarlyBurstP99TtftMs;
        double? blitzFast = runs.GetValueOrDefault("blitz-fast")?.Figures?.BurstTtftMs?.P99;
        return new LiveRoundFigures
        {
            Order = [.. runs.Keys],
            Seed = runs.Values.FirstOrDefault()?.Seed,
            P99TtftRatio = ratios,
            FirstTokenShare = runs.GetValueOrDefault("blitz")?.Figures?.FirstTokenShare,
            P99TtftFloorRatioBlitzFast = early is { } e && blitzFast is > 0 ? Math.Round(e / blitzFast.Value, 3) : null,
            PairModel = LivePairModel.Of(runs.GetValueOrDefault("blitz-fast"), capacityRps),
        };
    }
}

/// <summary>One instance's capacity in requests per second, from the cost profile (timed) and as measured on the testbed.</summary>
/// <param name="ProfileRps">timed: what the profile predicts for one instance saturated with this workload.</param>
/// <param name="MeasuredRps">Measured on one deployed instance with a closed loop of twice its batch.</param>
/// <param name="UsedRps">The one the default rates are derived from: the profile's for timed, the measured one for cpu.</param>
/// <param name="Source">"profile" or "measured".</param>
internal sealed record LiveCapacity(double? ProfileRps, double? MeasuredRps, double UsedRps, string Source);

/// <summary>One policy's run: its deployment, its scale request, its new instances, its figures and every request.</summary>
internal sealed class LivePolicyRun
{
    public required string Policy { get; init; }
    /// <summary>The model name it was deployed under (distinct per policy, so no cache of another policy can serve it).</summary>
    public required string ModelName { get; init; }
    /// <summary>The seed of the arrivals it played.</summary>
    public int Seed { get; init; }
    /// <summary>Deploy request to the first instance serving, as the client saw it.</summary>
    public double? DeploySeconds { get; set; }
    /// <summary>Host → bytes of this model's host-memory copies when the run started.</summary>
    public IReadOnlyDictionary<string, long>? HostCopies { get; set; }
    public double BurstStartS { get; set; }
    /// <summary>When the scale request was sent, seconds from the run's origin.</summary>
    public double? ScaleAtS { get; set; }
    /// <summary>The GPUs the scale request named (<see cref="LiveTargets"/>).</summary>
    public IReadOnlyList<string> Targets { get; set; } = [];
    /// <summary>When the scale call returned (every new instance loading).</summary>
    public double? ScaleReturnedS { get; set; }
    public List<LiveNewInstance> NewInstances { get; } = [];
    /// <summary>Whether the scale's polling saw a new instance in LiveNew.</summary>
    public bool SawLiveNew { get; set; }
    /// <summary>
    /// How busy each instance's device was while the new ones loaded: those serving before the scale from the first status
    /// poll after the scale call to the last new instance serving, each LiveNew from the scale request to its last report as
    /// a LiveNew (<see cref="LiveBusyReads"/>); null when the load did not complete.
    /// </summary>
    public IReadOnlyList<LiveBusy>? BusyDuringLoad { get; set; }
    public LiveFigures? Figures { get; set; }
    public string? Error { get; set; }
    /// <summary>Every request, in schedule order (left out of the summary printed on stdout: thousands of lines).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<LiveRequest>? Log { get; set; } = [];
}
