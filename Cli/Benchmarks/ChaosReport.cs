using System.Text.Json.Serialization;
using BlitzScale.Cli.Replay;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// What <c>blitz bench chaos</c> measured: the setting (as bench replay's), the fault schedule planned and applied, the
/// reference and the faulty replays, the scale-ups made for the source kills, and the figures of the faulty run against the
/// reference. A run that stopped still reports what it got.
/// </summary>
internal sealed class ChaosReport : ReplayBenchSettingReport
{
    public int FaultSeed { get; set; }
    public string Deployment { get; set; } = "";
    public string Greedy => "every request is greedy (the timed backend's pseudo-tokens depend only on the tokens and their positions), so each output is compared with the reference run's";
    public string Times => "seconds from each replay's start, wall clock (dilation included)";
    /// <summary>The schedule from the seed: kind, start, hold, pick.</summary>
    public IReadOnlyList<ChaosFault> Planned { get; set; } = [];
    /// <summary>What each fault did in the faulty run.</summary>
    public IReadOnlyList<ChaosApplied> Faults { get; set; } = [];
    /// <summary>The source-kill scale-ups: the reference run's (no kill) and the faulty run's.</summary>
    public IReadOnlyList<ChaosLoad> ReferenceLoads { get; set; } = [];
    public IReadOnlyList<ChaosLoad> FaultyLoads { get; set; } = [];
    public ReplayResult? Reference { get; set; }
    public ReplayResult? Faulty { get; set; }
    public ChaosFigures? Figures { get; set; }
    /// <summary>
    /// Per run ("reference", "faulty"): the requests' ticket hand-backs that a second try joined, and those still unanswered
    /// when their stream ended at the wait limit (<see cref="Grains.Interfaces.Serving.ClientMetrics"/>).
    /// </summary>
    [JsonPropertyName("hand_backs")] public Dictionary<string, ChaosHandBacks> HandBacks { get; } = [];
    public Dictionary<string, double> Goals { get; } = new()
    {
        ["lost_requests_max"] = 0,
        ["failed_requests_max"] = 0,
        ["differing_outputs_max"] = 0,
        ["load_time_ratio_max"] = ChaosFigures.GoalLoadTimeRatio,
    };
    public string? Error { get; set; }

    /// <summary>Exit 1: the run stopped, a fault could not be applied, or a request was lost, failed or answered differently.</summary>
    [JsonIgnore]
    public bool Failed => Error is not null || Reference?.Error is not null || Faulty?.Error is not null || Figures is null || !Figures.Clean
        || Faults.Any(f => f.Error is not null);

    /// <summary>Compares the faulty run with the reference once both ran.</summary>
    public void Finish()
    {
        if (Reference?.Log is { } reference && Faulty?.Log is { } faulty && Reference.Figures is not null && Faulty.Figures is not null)
            Figures = ChaosFigures.Of(reference, faulty, ReferenceLoads, FaultyLoads);
    }

    public void DropLogs()
    {
        Reference?.DropLogs();
        Faulty?.DropLogs();
    }
}
