using System.CommandLine;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// <c>blitz deploy</c>'s autoscaler options: <c>--autoscale</c> turns the model's autoscaler on; the others tune it and
/// are refused without it. Unset ones take the autoscaler's defaults (docs/configuration.md).
/// </summary>
internal sealed class AutoscaleArguments
{
    public Option<bool> Autoscale { get; } = new("--autoscale")
    {
        Description = "Run the model's autoscaler: instances are added on load and drained into Warm when it falls, between --min-instances and --max-instances (--instances is the start)",
    };
    public Option<int?> MinInstances { get; } = new("--min-instances") { Description = "Autoscaler: fewest instances; 0 scales to zero when idle (default 1)" };
    public Option<int?> MaxInstances { get; } = new("--max-instances") { Description = "Autoscaler: most instances, loading ones counted (default 8, or --instances when more)" };
    public Option<double?> PrefillScaleDown { get; } = new("--prefill-scale-down") { Description = "Autoscaler: prefill load (share of capacity) under which an instance drains (default 0.5)" };
    public Option<double?> PrefillScaleUp { get; } = new("--prefill-scale-up") { Description = "Autoscaler: prefill load above which instances are added (default 0.7)" };
    public Option<double?> DecodeScaleDown { get; } = new("--decode-scale-down") { Description = "Autoscaler: decode load (share of KV blocks) under which an instance drains (default 0.75)" };
    public Option<double?> DecodeScaleUp { get; } = new("--decode-scale-up") { Description = "Autoscaler: decode load above which instances are added (default 0.95)" };
    public Option<double?> ScaleDownDelayMs { get; } = new("--scale-down-delay-ms") { Description = "Autoscaler: ms the load stays under both down thresholds before one instance drains (default 333)" };
    public Option<double?> IdleTimeoutMs { get; } = new("--idle-timeout-ms") { Description = "Autoscaler with --min-instances 0: ms idle before the last instance drains (default 30000)" };

    public Option<double?> WarmKeepMs { get; } = new("--warm-keep-ms") { Description = "Autoscaler: ms a drained instance stays Warm on its GPU before the GPU is released (default 10000)" };

    public IEnumerable<Option> All => [Autoscale, MinInstances, MaxInstances, PrefillScaleDown, PrefillScaleUp, DecodeScaleDown, DecodeScaleUp, ScaleDownDelayMs, IdleTimeoutMs, WarmKeepMs];

    /// <summary>The settings to deploy with; null when the autoscaler is off.</summary>
    /// <exception cref="ArgumentException">An autoscaler option without <c>--autoscale</c>, or <c>--autoscale</c> with the static policy.</exception>
    public AutoscaleSettings? Read(ParseResult parse, bool staticPolicy)
    {
        bool on = parse.GetValue(Autoscale);
        if (on && staticPolicy)
            throw new ArgumentException($"--autoscale: the {LoadPolicyNames.Static} policy keeps a fixed instance count; drop --autoscale or choose blitz, blitz-fast, sllm or allcache");
        var settings = new AutoscaleSettings
        {
            MinInstances = parse.GetValue(MinInstances), MaxInstances = parse.GetValue(MaxInstances),
            PrefillScaleDown = parse.GetValue(PrefillScaleDown), PrefillScaleUp = parse.GetValue(PrefillScaleUp),
            DecodeScaleDown = parse.GetValue(DecodeScaleDown), DecodeScaleUp = parse.GetValue(DecodeScaleUp),
            ScaleDownDelayMs = parse.GetValue(ScaleDownDelayMs), IdleTimeoutMs = parse.GetValue(IdleTimeoutMs),
            WarmKeepMs = parse.GetValue(WarmKeepMs),
        };
        if (on) return settings;
        if (settings != new AutoscaleSettings())
        {
            string given = All.Skip(1).First(o => parse.GetResult(o) is { Implicit: false }).Name;
            throw new ArgumentException($"{given}: tunes the autoscaler, which is off; add --autoscale");
        }
        return null;
    }
}
