using System.CommandLine;
using BlitzScale.Cli.Benchmarks;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// The options <c>bench replay</c> and <c>bench chaos</c> share: the testbed, the timed backend, the model, the trace window and
/// how hard it is played, and the outputs; <see cref="Options"/> turns a parse into <see cref="ReplayBenchOptions"/>.
/// </summary>
internal sealed class ReplayBenchArguments
{
    public Option<int> Hosts { get; } = new("--hosts") { Description = "Emulated hosts (network namespaces), one silo each", DefaultValueFactory = _ => ReplayBenchOptions.DefaultHosts };
    public Option<int> Gpus { get; } = new("--gpus") { Description = "GPUs per host", DefaultValueFactory = _ => 1 };
    public Option<string?> CostProfile { get; } = new("--cost-profile") { Description = $"The timed backend's cost profile (default {LiveOptions.DefaultCostProfile} when it exists)" };
    public Option<string> CostModel { get; } = new("--cost-model") { Description = "The profile's row", DefaultValueFactory = _ => "llama3-8b" };
    public Option<double?> Dilation { get; } = new("--time-dilation") { Description = "Every emulated time is stretched by this (default: derived from the link and the layer bytes)" };
    public Option<double> RealLink { get; } = new("--real-link-gbps")
    {
        Description = "The real cluster's link that the derived dilation maps the testbed's link to", DefaultValueFactory = _ => LiveOptions.DefaultRealLinkGbps,
    };
    public Option<int> LinkMbit { get; } = new("--link-mbit") { Description = "Each host's link rate in Mbit/s, both directions", DefaultValueFactory = _ => LiveOptions.DefaultLinkMbit };
    public Option<double?> Storage { get; } = new("--storage-mbps") { Description = "Each host's emulated storage read rate in MB/s (default: 0.4 × the link's byte rate)" };
    public Option<string?> Model { get; } = new("--model") { Description = "Model directory (default: the synthetic --shape in --dtype, created once in the cache)" };
    public Option<string> Shape { get; } = new("--shape") { Description = "Synthetic shape when --model is absent", DefaultValueFactory = _ => ReplayBenchOptions.DefaultShape };
    public Option<string> DType { get; } = new("--dtype") { Description = "Synthetic dtype when --model is absent", DefaultValueFactory = _ => LiveOptions.DefaultDType };
    public Option<int> Sequences { get; } = new("--sequences-per-instance")
    {
        Description = "Requests one instance runs at once (its KV blocks hold this many of the longest capped requests)",
        DefaultValueFactory = _ => LiveOptions.DefaultSequencesPerInstance,
    };
    public Option<double> LoadShare { get; } = new("--load-share")
    {
        Description = "Play the window at this share of the cluster's capacity (every GPU serving), unless --rate or --time-scale is given; replaces --peak-share",
        DefaultValueFactory = _ => ReplayBenchOptions.DefaultLoadShare,
    };
    public Option<double?> PeakShare { get; } = new("--peak-share")
    {
        Description = $"Play the window at the largest load share (from {ReplayBenchOptions.DefaultLoadShare} down, × 0.95 each try) whose peak is at most this × the cluster's capacity",
    };
    public Option<double> Played { get; }
    public Option<int> Seed { get; } = new("--seed") { Description = "Seed of the prompts' token ids", DefaultValueFactory = _ => 1 };
    public Option<int> RedisPort { get; } = new("--redis-port") { Description = "The testbed's Redis port", DefaultValueFactory = _ => 6399 };
    public Option<string> State { get; } = new("--state") { Description = "The testbed's state directory (silo logs, pid files)", DefaultValueFactory = _ => "/tmp/blitz-testbed" };
    public Option<string?> Testbed { get; } = new("--testbed") { Description = "Path of testbed.sh (default: testbed/testbed.sh above the blitz binary)" };
    public Option<bool> Keep { get; } = new("--keep-testbed") { Description = "Leave the testbed up afterwards (testbed.sh down removes it)" };
    public ReplayOptions Replay { get; }

    /// <param name="defaultPlayedSeconds">How long the window plays by default.</param>
    public ReplayBenchArguments(double defaultPlayedSeconds)
    {
        Played = new Option<double>("--played-seconds")
        {
            Description = "Without --duration: make the window as long as needed to play about this long", DefaultValueFactory = _ => defaultPlayedSeconds,
        };
        Replay = new ReplayOptions(traceRequired: false, ReplayBenchOptions.DefaultTrace, ReplayBenchOptions.DefaultTtftSloMs, ReplayBenchOptions.DefaultTbtSloMs,
            defaultDuration: null);
        Replay.Duration.Description = "Window length in trace seconds (default: what fills about --played-seconds at the played rate)";
        Replay.TtftSlo.Description = $"TTFT objective in ms of the real cluster; the wall-clock objective is this × the dilation (default {ReplayBenchOptions.DefaultTtftSloMs})";
        Replay.TbtSlo.Description = $"Mean time-between-tokens objective in ms of the real cluster, × the dilation on the wall clock (default {ReplayBenchOptions.DefaultTbtSloMs})";
        Replay.MaxPrompt.Description =
            $"Cap on prompt tokens (default {ReplayBenchOptions.DefaultMaxPromptTokens}, the paper's, or the model's context less the output cap where that is smaller)";
        Replay.MaxOutput.DefaultValueFactory = _ => ReplayBenchOptions.DefaultMaxOutputTokens;
        Replay.MaxOutput.Description = "Cap on output tokens";
        Replay.Window.DefaultValueFactory = _ => "bursty";
    }

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Hosts, Gpus, CostProfile, CostModel, Dilation, RealLink, LinkMbit, Storage, Model, Shape, DType, Sequences, Played, LoadShare, PeakShare, Seed,
                     RedisPort, State, Testbed, Keep })
            command.Options.Add(option);
        Replay.AddTo(command);
    }

    /// <summary>The options parsed, the synthetic model created once when no --model is given.</summary>
    public ReplayBenchOptions Options(ParseResult parse, IReadOnlyList<string> policies)
    {
        // A --load-share given replaces the fit; both given is a contradiction, said before anything is made.
        bool shareGiven = parse.GetResult(LoadShare) is { Implicit: false };
        double? peakShare = parse.GetValue(PeakShare);
        if (shareGiven && parse.GetResult(PeakShare) is { Implicit: false })
            throw new ArgumentException("give --load-share or --peak-share, not both: each sets the played rate");
        if (shareGiven) peakShare = null;
        double loadShare = parse.GetResult(LoadShare) is null ? ReplayBenchOptions.DefaultLoadShare : parse.GetValue(LoadShare);
        // The trace, its format and the output files are checked before the model is made (a synthetic one takes seconds).
        var plan = Replay.Plan(parse);
        string? modelDirectory = parse.GetValue(Model);
        string shapeName = parse.GetValue(Shape)!, dtypeName = parse.GetValue(DType)!;
        string path = ModelSource.Resolve(modelDirectory, shapeName, DTypes.Parse(dtypeName));
        string? profile = parse.GetValue(CostProfile);
        if (profile is null && File.Exists(LiveOptions.DefaultCostProfile)) profile = LiveOptions.DefaultCostProfile;
        int link = parse.GetValue(LinkMbit);
        // --start picks a window instead of the default bursty one.
        if (parse.GetResult(Replay.Start) is not null) plan = plan with { Bursty = false };
        return new ReplayBenchOptions(path, modelDirectory is null ? $"{shapeName} {dtypeName}" : null, parse.GetValue(Hosts), parse.GetValue(Gpus),
            profile, parse.GetValue(CostModel)!, parse.GetValue(Dilation), parse.GetValue(RealLink), link, parse.GetValue(Storage) ?? 0.4 * link / 8,
            parse.GetValue(Sequences), plan, parse.GetValue(Played), loadShare, peakShare, parse.GetValue(Replay.TtftSlo), parse.GetValue(Replay.TbtSlo), parse.GetValue(Seed),
            policies, parse.GetValue(RedisPort), parse.GetValue(State)!, parse.GetValue(Testbed), parse.GetValue(Keep));
    }
}
