using System.Globalization;
using BlitzScale.Cli.Replay;
using BlitzScale.Native.Models;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// What a testbed replay bench (<c>bench replay</c>, <c>bench chaos</c>) derives before the testbed comes up: the model's
/// dimensions, the timed backend (profile, D), one instance's capacity, the played rate, the trace window and the wall-clock
/// objectives. One place, so both benches play the same kind of window the same way.
/// </summary>
internal sealed class ReplayBenchSetup
{
    private ReplayBenchSetup(string directory) => Directory = directory;

    public string Directory { get; }
    public int Layers { get; private init; }
    public long ModelBytes { get; private init; }
    public int ContextTokens { get; private init; }
    public int Vocab { get; private init; }
    public TimedSetup Timed { get; private init; } = null!;
    /// <summary>The silo options of the timed backend (<c>--backend timed …</c>).</summary>
    public string SiloArgs => "--backend timed " + Timed.SiloArgs;
    public int KvBlocks { get; private init; }
    /// <summary>Each emulated GPU's memory (<see cref="MulticastTestbed.GpuMemoryFor"/>).</summary>
    public double GpuMemoryGiB { get; private init; }
    /// <summary>One instance's predicted capacity in requests/s.</summary>
    public double CapacityRps { get; private init; }
    public string RateSource { get; private init; } = "";
    public string? WindowSource { get; private init; }
    public ReplayPlan Plan { get; private init; } = null!;
    /// <summary>The objectives on the wall clock (× D).</summary>
    public ReplaySlo WallSlo { get; private init; } = null!;
    public ReplaySetting Setting { get; private init; } = null!;
    public ReplayNeeds Needs { get; private init; } = null!;
    /// <summary>The played mean rate as a share of the cluster's capacity; null when --rate or --time-scale set it.</summary>
    public double? LoadShare { get; private init; }

    /// <summary>Reads the model and the trace and derives the rest; <paramref name="progress"/> hears the backend, window and rate.</summary>
    /// <exception cref="ArgumentException">A missing model or profile, invalid options, a malformed trace.</exception>
    public static ReplayBenchSetup Resolve(ReplayBenchOptions options, string bench, Action<string> progress)
    {
        string directory = Path.GetFullPath(options.ModelDirectory);
        if (!File.Exists(Path.Combine(directory, "config.json"))) throw new ArgumentException($"--model {options.ModelDirectory}: no config.json there");
        int layers, context, vocab;
        long modelBytes, layerBytes;
        LlamaConfig config;
        using (var model = ModelDirectory.Open(directory))
        {
            config = model.Config;
            layers = model.Config.NumLayers;
            modelBytes = model.Layout.TotalBytes;
            context = model.Config.MaxPositionEmbeddings;
            layerBytes = model.Layout.Layer(0).ByteLength;
            vocab = model.Config.VocabSize;
        }

        // Without --max-prompt-tokens the paper's cap, within the model's context.
        if (options.Plan.MaxPromptTokens is null)
            options = options with { Plan = options.Plan with { MaxPromptTokens = ReplayBenchOptions.MaxPromptFor(context, options.Plan.MaxOutputTokens) } };

        // The timed backend: the profile's costs, stretched by D so the testbed's slower links keep the real cluster's proportions.
        var timed = TimedSetup.Resolve(options.CostProfile, options.CostModel, options.TimeDilation, options.RealLinkGbps, layerBytes, options.LinkMbit,
            $"{bench} runs the timed backend: give --cost-profile FILE (e.g. {LiveOptions.DefaultCostProfile})", config);
        double d = timed.Dilation;
        progress($"{timed.Backend}; {timed.DilationSource}");
        progress($"live pairs' activations: {timed.ActivationSource}");
        if (timed.HostToDeviceSource is { } pcie) progress($"host memory to GPU: {pcie}");

        // The whole trace at its own pace first: its mean token counts give one instance's capacity, which gives the rate.
        int gpus = options.Hosts * options.GpusPerHost;
        var whole = ReplayPlan.Build(options.Plan with { Start = null, Duration = null, Bursty = false, TimeScale = null, Rate = null }, context);
        var caps = whole.Schedule.Caps;
        int kvBlocks = LiveRates.KvBlocks(options.SequencesPerInstance, caps.MaxPromptTokens, caps.MaxOutputTokens);
        var policy = LiveRates.Policy(kvBlocks);
        double gpuMemory = MulticastTestbed.GpuMemoryFor(LiveRates.InstanceBytes(config, modelBytes, kvBlocks));
        int meanPrompt = (int)Math.Round(whole.Schedule.Arrivals.Average(a => a.PromptTokens));
        int meanOutput = Math.Max(1, (int)Math.Round(whole.Schedule.Arrivals.Average(a => a.OutputTokens)));
        double capacity = Math.Round(ProfileThroughput.Predict(timed.Profile, d, layers, context, policy,
            clients: 2 * options.SequencesPerInstance, requests: 50 * options.SequencesPerInstance, meanPrompt, meanOutput) / meanOutput, 3);
        // The objectives on the wall clock: the real cluster's ms stretched by D.
        var wallSlo = ReplaySlo.Of(options.TtftSloMs * d, options.TbtSloMs * d);
        double? rate = options.Plan.Rate;
        string rateSource;
        double? share = null;
        Played played;
        string ShareSource(double of, double at) => FormattableString.Invariant(
            $"the mean rate is {of} × the cluster's capacity: {gpus} GPUs × {capacity} requests/s (the profile's prediction for one instance, {options.SequencesPerInstance} at once, {meanPrompt}-token prompts, {meanOutput}-token outputs: the whole trace's means after the caps) = {at} requests/s");
        if (options.Plan.TimeScale is not null || rate is not null)
        {
            rateSource = rate is not null ? "given (--rate)" : "given (--time-scale)";
            played = Play(options, whole, context, capacity, gpus, wallSlo, rate);
        }
        else if (options.PeakShare is { } peakShare)
        {
            // The window's length follows from the rate, and a shorter window is burstier: each share gives its own window, so
            // the shares are tried from the paper's 0.5 down until the window's peak fits.
            (share, played) = FitPeak(options, whole, context, capacity, gpus, wallSlo, peakShare);
            rate = played.Rate;
            rateSource = ShareSource(share.Value, rate!.Value) + FormattableString.Invariant(
                $"; {share} is the largest of {ReplayBenchOptions.DefaultLoadShare} × {FitStep}^n whose window's peak is at most --peak-share {peakShare} × the cluster's capacity ({played.Needs.PeakOverCluster} ×), so that static-peak holds the peak's need");
        }
        else
        {
            share = options.LoadShare;
            rate = RateAt(options.LoadShare, gpus, capacity);
            played = Play(options, whole, context, capacity, gpus, wallSlo, rate);
            rateSource = ShareSource(share.Value, rate.Value);
        }
        var (plan, setting, needs, windowSource, _) = played;
        progress($"window: {setting.Describe()}");
        progress(string.Create(CultureInfo.InvariantCulture,
            $"rate: {rateSource}; needs: {needs.Peak} instance(s) at the peak, {needs.Average} on average; objectives (wall clock, × D): TTFT {wallSlo.TtftMs:F0} ms, TBT {wallSlo.TbtMs:F0} ms"));
        if (needs.PeakOverCluster > 1)
        {
            progress(string.Create(CultureInfo.InvariantCulture,
                $"note: the peak ({needs.PeakRps:0.#} requests/s) needs {needs.PeakUncapped} instances, {needs.PeakOverCluster:0.##} × the cluster's {gpus}: its requests queue under every policy, static-peak's too, and set the p99 (--peak-share 1, bench replay's default, or a lower --load-share keeps the peak within the cluster)"));
        }
        return new ReplayBenchSetup(directory)
        {
            Layers = layers, ModelBytes = modelBytes, ContextTokens = context, Vocab = vocab, Timed = timed, KvBlocks = kvBlocks, GpuMemoryGiB = gpuMemory, CapacityRps = capacity,
            RateSource = rateSource, WindowSource = windowSource, Plan = plan, WallSlo = wallSlo, Setting = setting, Needs = needs, LoadShare = share,
        };
    }

    /// <summary>Each try lowers the share by this factor.</summary>
    internal const double FitStep = 0.95;
    /// <summary>Below this share the fit gives up: the trace's window cannot be played within the cluster at any useful rate.</summary>
    internal const double MinFitShare = 0.005;

    /// <summary>A played window: the plan at a rate, its setting and the instances it needs.</summary>
    internal sealed record Played(ReplayPlan Plan, ReplaySetting Setting, ReplayNeeds Needs, string? WindowSource, double? Rate);

    internal static (double Share, Played Played) FitPeak(ReplayBenchOptions options, ReplayPlan whole, int context, double capacity, int gpus, ReplaySlo slo,
        double peakShare)
    {
        double over = double.NaN;
        foreach (double share in FitShares())
        {
            var played = Play(options, whole, context, capacity, gpus, slo, RateAt(share, gpus, capacity));
            over = played.Needs.PeakOverCluster;
            if (over <= peakShare) return (share, played);
        }
        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"--peak-share {peakShare}: no load share down to {MinFitShare} keeps the window's peak within it (the last tried: {over} × the cluster); give --load-share instead"));
    }

    /// <summary>The shares the fit tries, in order: the paper's 0.5, then × <see cref="FitStep"/> each try, down to <see cref="MinFitShare"/>.</summary>
    internal static IEnumerable<double> FitShares()
    {
        for (double share = ReplayBenchOptions.DefaultLoadShare; share >= MinFitShare; share = Math.Round(share * FitStep, 4)) yield return share;
    }

    /// <summary>The played mean rate at <paramref name="share"/> of the cluster's capacity, requests/s.</summary>
    internal static double RateAt(double share, int gpus, double capacity) => Math.Round(share * gpus * capacity, 3);

    // Without --duration the window is as long as the trace must be to fill about --played-seconds at that rate.
    internal static Played Play(ReplayBenchOptions options, ReplayPlan whole, int context, double capacity, int gpus, ReplaySlo slo, double? rate)
    {
        var planOptions = options.Plan;
        string? windowSource = null;
        if (planOptions.Duration is null)
        {
            double traceMean = whole.Window.MeanRps;
            double seconds = options.Plan.TimeScale is { } x ? options.PlayedSeconds / x : options.PlayedSeconds * rate!.Value / traceMean;
            planOptions = planOptions with { Duration = Math.Round(Math.Min(seconds, whole.Trace.SpanSeconds), 1) };
            windowSource = FormattableString.Invariant(
                $"{planOptions.Duration} trace seconds: about --played-seconds {options.PlayedSeconds} at the played rate, the trace's mean being {traceMean:0.###} requests/s");
        }
        var plan = ReplayPlan.Build(planOptions, context, options.Plan.TimeScale is null ? rate : null);
        var setting = ReplaySetting.Of(plan.Trace, plan.Window, plan.Schedule, slo);
        return new Played(plan, setting, ReplayNeeds.Of(capacity, setting.PlayedPeakRps, setting.PlayedMeanRps, gpus), windowSource, rate);
    }
}
