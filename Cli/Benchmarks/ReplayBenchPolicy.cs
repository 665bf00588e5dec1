using BlitzScale.Cli.Commands;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Scaling.Autoscaling;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// One policy of <c>bench replay</c>: how its instances load (<see cref="Load"/>), and either a fixed number of instances
/// (the static baselines) or the autoscaled ones, which start at one instance.
/// </summary>
/// <param name="Name">Its name on the command line and in the report.</param>
/// <param name="Load">How its instances get their parameters.</param>
/// <param name="StaticInstances">The static baselines' fixed instance count; null for an autoscaled policy.</param>
internal sealed record ReplayBenchPolicy(string Name, LoadPolicy Load, int? StaticInstances)
{
    /// <summary>What an autoscaled policy starts with.</summary>
    public const int AutoscaledStart = 1;

    /// <summary>How long a drained instance stays Warm, in the real cluster's time (stretched by D like every other duration).</summary>
    public static readonly TimeSpan WarmKeep = TimeSpan.FromSeconds(1);

    /// <summary>The report's words for the autoscaler.</summary>
    public const string AutoscalerState =
        "on for blitz, blitz-fast, sllm and allcache: the model grain's autoscaler with the paper's thresholds, from 1 instance up to every GPU; " +
        "its durations (scale-down delay 333 ms, warm-up 1 s, prefill window 1 s, warm keep 1 s) are the real cluster's, multiplied by D; the tick stays 100 ms. " +
        "static-peak and static-average hold their fixed counts with no autoscaler";

    /// <summary>The policies named in <paramref name="names"/>, the static ones sized by <paramref name="needs"/>.</summary>
    /// <exception cref="ArgumentException">An unknown or repeated name.</exception>
    public static IReadOnlyList<ReplayBenchPolicy> Parse(IReadOnlyList<string> names, ReplayNeeds needs)
    {
        var policies = names.Select(name => name.ToLowerInvariant() switch
        {
            "static-peak" => new ReplayBenchPolicy("static-peak", LoadPolicy.Blitz, needs.Peak),
            "static-average" => new ReplayBenchPolicy("static-average", LoadPolicy.Blitz, needs.Average),
            _ => Autoscaled(name),
        }).ToList();
        if (policies.Count == 0) throw new ArgumentException("--policies: name at least one policy");
        if (policies.DistinctBy(p => p.Name).Count() != policies.Count) throw new ArgumentException("--policies: each policy at most once");
        return policies;
    }

    // A load policy's name, or an error that names every policy bench replay takes (the static ones too).
    private static ReplayBenchPolicy Autoscaled(string name) => LoadPolicyNames.TryParse(name, out var load)
        ? new ReplayBenchPolicy(LoadPolicyNames.Name(load), load, null)
        : throw new ArgumentException($"--policies: expected blitz, blitz-fast, sllm, allcache, static-peak or static-average, found \"{name}\"");

    /// <summary>
    /// THE deploy step of bench replay, the one place where a policy becomes a <see cref="DeployRequest"/>: the static
    /// baselines on their first N GPUs, an autoscaled policy with <see cref="AutoscaledStart"/> instance on the first GPU.
    /// Switching the autoscaler on for the autoscaled policies happens here (its settings on the request).
    /// </summary>
    /// <param name="timeDilation">D: the testbed runs D times slower than the real cluster, so the autoscaler's durations are stretched by it.</param>
    /// <param name="maxInstances">The autoscaler's ceiling; every GPU when null (bench chaos keeps one free for its own scale-up).</param>
    public DeployRequest Deploy(string directory, IReadOnlyList<string> gpus, int kvBlocks, double timeDilation, int? maxInstances = null) => new()
    {
        ModelDirectory = directory,
        Instances = StaticInstances ?? AutoscaledStart,
        Gpus = [.. gpus.Take(StaticInstances ?? AutoscaledStart)],
        Policy = Load,
        KvBlocks = kvBlocks,
        // Every request of the window waits for a seat (late binding) rather than being refused by the default queue bound:
        // the bench measures latency, and before late binding the instances' own queues held a burst without a bound.
        MaxQueuedRequests = BenchQueueBound,
        Autoscale = StaticInstances is null ? Autoscaled(maxInstances ?? gpus.Count, timeDilation) : null,
    };

    /// <summary>The model's queue bound in the benches' deployments: a window's whole burst waits, none is refused.</summary>
    public const int BenchQueueBound = 100_000;

    private static AutoscaleSettings Autoscaled(int gpus, double d) => new()
    {
        MinInstances = AutoscaledStart,
        MaxInstances = gpus,
        ScaleDownDelayMs = AutoscalerOptions.DefaultScaleDownDelay.TotalMilliseconds * d,
        WarmUpMs = AutoscalerOptions.DefaultWarmUp.TotalMilliseconds * d,
        PrefillWindowMs = AutoscalerOptions.DefaultPrefillWindow.TotalMilliseconds * d,
        WarmKeepMs = WarmKeep.TotalMilliseconds * d,
    };

    /// <summary>The deployment in words, for the report; <paramref name="maxInstances"/> as given to <see cref="Deploy"/>.</summary>
    public string Describe(int? maxInstances = null) => StaticInstances is { } n
        ? $"static: {n} instance(s), loaded as {LoadPolicyNames.Name(Load)}, no autoscaler"
        : $"{LoadPolicyNames.Name(Load)}: starts at {AutoscaledStart} instance, autoscaled up to {(maxInstances is { } max ? $"{max} instance(s)" : "every GPU")}";
}

/// <summary>
/// Instances the played window needs, from one instance's capacity: at its peak (the busiest 1-s bin of the trace,
/// stretched by the time scale) and on average, each at least 1 and at most the cluster's GPUs.
/// </summary>
/// <remarks>
/// <see cref="PeakOverCluster"/> says whether the comparison can tell the policies apart at the peak: above 1, the busiest bin
/// brings more requests than every GPU together serves in it, so they queue under any policy, static-peak included, and the
/// p99 measures the cluster's size more than how fast a policy scales (the default window at aad5000: 3.4, every autoscaled
/// policy's p99 within 0.65 s of static-peak's, and the slowest 1 % of requests all arrived within 5 s of one another).
/// </remarks>
internal sealed record ReplayNeeds(double CapacityRps, double PeakRps, double MeanRps, int Peak, int Average, int Gpus)
{
    /// <summary>Instances the peak bin needs, not capped at the cluster's GPUs.</summary>
    public int PeakUncapped => Need(PeakRps, CapacityRps);

    /// <summary>The peak rate ÷ what every GPU of the cluster serves together.</summary>
    public double PeakOverCluster => Math.Round(PeakRps / (CapacityRps * Gpus), 3);

    public static ReplayNeeds Of(double capacityRps, double peakRps, double meanRps, int gpus)
    {
        if (!(capacityRps > 0)) throw new ArgumentException($"one instance's capacity must be > 0 requests/s, found {capacityRps}");
        return new ReplayNeeds(capacityRps, peakRps, meanRps, Math.Clamp(Need(peakRps, capacityRps), 1, gpus), Math.Clamp(Need(meanRps, capacityRps), 1, gpus), gpus);
    }

    // A rate within 0.1% of a whole number of instances needs that many (the rate was rounded from capacity × share).
    private static int Need(double rps, double capacityRps) => (int)Math.Ceiling(rps / capacityRps - 1e-3);
}
