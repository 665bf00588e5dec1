using BlitzScale.Cli.Replay;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>What <c>blitz bench replay</c> runs on, which trace window it plays and how hard.</summary>
/// <param name="ModelDirectory">The model every policy serves (the hosts share this machine's file system).</param>
/// <param name="Shape">The synthetic shape and dtype in words, or null for a given --model.</param>
/// <param name="Hosts">Emulated hosts (network namespaces), one silo each.</param>
/// <param name="GpusPerHost">GPUs of each host.</param>
/// <param name="CostProfile">The timed backend's cost profile.</param>
/// <param name="CostModel">The profile's row.</param>
/// <param name="TimeDilation">D, or null to derive it from the link and the layer bytes.</param>
/// <param name="RealLinkGbps">The real cluster's link that a derived D maps the testbed's link onto.</param>
/// <param name="LinkMbit">Each host's link rate.</param>
/// <param name="StorageMBps">Each host's emulated storage read rate.</param>
/// <param name="SequencesPerInstance">Requests one instance runs at once (its KV blocks hold this many of the longest capped requests).</param>
/// <param name="Plan">The trace, the window, the caps; a given --rate or --time-scale replaces <paramref name="LoadShare"/>.</param>
/// <param name="PlayedSeconds">Without --duration: the window is as long as needed to play about this long at the chosen rate.</param>
/// <param name="LoadShare">The played mean rate as a share of the cluster's capacity (every GPU serving), as the paper rescales.</param>
/// <param name="PeakShare">
/// When set, replaces <paramref name="LoadShare"/>: the largest share (from the paper's 0.5 down) whose window's peak is at most
/// this × the cluster's capacity, so that static-peak is the peak's need rather than the cluster capped below it.
/// </param>
/// <param name="TtftSloMs">TTFT objective in ms of the real cluster (the wall-clock objective is this × D).</param>
/// <param name="TbtSloMs">Mean time-between-tokens objective in ms of the real cluster (× D on the wall clock).</param>
/// <param name="Seed">Seed of the prompts.</param>
/// <param name="Policies">Policy names, run in this order.</param>
/// <param name="RedisPort">The testbed's Redis port.</param>
/// <param name="StateDirectory">The testbed's state directory.</param>
/// <param name="TestbedScript">testbed.sh, or null to find it above the binary.</param>
/// <param name="KeepTestbed">Leave the testbed up afterwards.</param>
/// <param name="Rounds">How many times the policies run on the same testbed (bench replay's <c>--rounds</c>); the ratios are the rounds' medians.</param>
internal sealed record ReplayBenchOptions(string ModelDirectory, string? Shape, int Hosts, int GpusPerHost, string? CostProfile, string CostModel,
    double? TimeDilation, double RealLinkGbps, int LinkMbit, double StorageMBps, int SequencesPerInstance, ReplayPlanOptions Plan, double PlayedSeconds, double LoadShare,
    double? PeakShare, double TtftSloMs, double TbtSloMs, int Seed, IReadOnlyList<string> Policies, int RedisPort, string StateDirectory, string? TestbedScript, bool KeepTestbed,
    int Rounds = 1)
{
    public const int DefaultHosts = 4;
    /// <summary>
    /// The replay and chaos benches' model: llama3-8b-narrow in f32 (502 MB), as bench live's: the profile's llama3-8b with its
    /// 32 layers and 8,192 positions, so the trace's prompts play up to the paper's 4,095 tokens (stories110m, the default
    /// before 2026-12-06, has 12 layers and 1,024 positions, and its 512-token cap cut most of the code trace's prompts).
    /// </summary>
    public const string DefaultShape = "llama3-8b-narrow";
    public const string DefaultTrace = "../shared/traces/azure2023/AzureLLMInferenceTrace_code.csv";
    /// <summary>How long each policy's replay plays by default (the window's trace seconds follow from the rate).</summary>
    public const double DefaultPlayedSeconds = 60;
    /// <summary>The paper's rescaling: the mean rate is half of the cluster's peak capacity (where --load-share is given, and the fit's first try).</summary>
    public const double DefaultLoadShare = 0.5;
    /// <summary>
    /// bench replay's default: the window's peak within the cluster's capacity. At 0.5 the default window's peak was 3.4 × the
    /// cluster: its requests queued under every policy, static-peak's too, which then was not at the peak's need.
    /// </summary>
    public const double DefaultPeakShare = 1.0;
    /// <summary>The paper's cap: it truncates prompts to 4,095 tokens for its 4,096-position models (the default model has 8,192).</summary>
    public const int DefaultMaxPromptTokens = 4095;

    /// <summary>The prompt cap where --max-prompt-tokens is not given: the paper's 4,095, or what a smaller model's context leaves beside the output cap.</summary>
    internal static int MaxPromptFor(int contextTokens, int? maxOutputTokens) =>
        Math.Max(1, Math.Min(DefaultMaxPromptTokens, contextTokens - (maxOutputTokens ?? DefaultMaxOutputTokens)));
    public const int DefaultMaxOutputTokens = 128;
    /// <summary>Objectives of the real cluster (llama3-8b on H200), in ms: stretched by D on the testbed.</summary>
    public const double DefaultTtftSloMs = 1000;
    public const double DefaultTbtSloMs = 100;
    public const string DefaultPolicies = "blitz,blitz-fast,sllm,allcache,static-peak,static-average";

    /// <summary>Refuses a round count below 1, before anything is made.</summary>
    /// <exception cref="ArgumentException"><paramref name="rounds"/> is below 1.</exception>
    public static int CheckRounds(int rounds) =>
        rounds >= 1 ? rounds : throw new ArgumentException($"--rounds must be ≥ 1, found {rounds}");

    /// <summary>Checks the numbers and the policy names before the testbed comes up.</summary>
    /// <exception cref="ArgumentException">The first option out of range, named.</exception>
    public void Validate()
    {
        if (Hosts < 1) throw new ArgumentException("--hosts must be ≥ 1");
        if (GpusPerHost < 1) throw new ArgumentException("--gpus must be ≥ 1");
        if (LinkMbit < 1) throw new ArgumentException("--link-mbit must be ≥ 1");
        if (!(StorageMBps > 0)) throw new ArgumentException("--storage-mbps must be > 0");
        if (!(RealLinkGbps > 0)) throw new ArgumentException("--real-link-gbps must be > 0");
        if (SequencesPerInstance < 1) throw new ArgumentException("--sequences-per-instance must be ≥ 1");
        if (!(LoadShare > 0) || !double.IsFinite(LoadShare)) throw new ArgumentException($"--load-share must be > 0, found {LoadShare}");
        if (PeakShare is { } peak && (!(peak > 0) || !double.IsFinite(peak))) throw new ArgumentException($"--peak-share must be > 0, found {peak}");
        if (!(PlayedSeconds > 0) || !double.IsFinite(PlayedSeconds)) throw new ArgumentException($"--played-seconds must be > 0, found {PlayedSeconds}");
        CheckRounds(Rounds);
        // Names are checked before the testbed comes up; the static counts are filled in once the needs are known.
        ReplayBenchPolicy.Parse(Policies, ReplayNeeds.Of(1, 1, 1, 1));
    }
}
