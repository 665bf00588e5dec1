using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using BlitzScale.Cli.Replay;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// The faulty run against the reference, request by request: sent, completed, failed (reasons grouped), lost (sent, never
/// answered), resumed, and the greedy outputs that differ from the reference run's; and each load whose source was killed,
/// its time over the reference's loads of the same kind (median).
/// </summary>
internal sealed partial record ChaosFigures
{
    /// <summary>The issue's bound on a load's time with the fault ÷ without it.</summary>
    public const double GoalLoadTimeRatio = 1.5;

    public int Sent { get; init; }
    public int Completed { get; init; }
    public int Failed { get; init; }
    /// <summary>Failure reason (numbers replaced by #) → requests.</summary>
    public IReadOnlyDictionary<string, int> FailedReasons { get; init; } = new Dictionary<string, int>();
    [JsonPropertyName("lost_requests")] public int LostRequests { get; init; }
    /// <summary>Lost reason (numbers replaced by #) → requests.</summary>
    public IReadOnlyDictionary<string, int> LostReasons { get; init; } = new Dictionary<string, int>();
    /// <summary>Requests that moved to another instance at least once.</summary>
    public int Resumed { get; init; }
    /// <summary>Moves to another instance, all requests together.</summary>
    public int Resumes { get; init; }
    /// <summary>
    /// The longest wait of each resumed request (from its start to its first token, or between two tokens), in seconds: the
    /// median and the largest over the resumed requests; null when none resumed. How long a request stood still while its
    /// instance was lost and it moved.
    /// </summary>
    [JsonPropertyName("resumed_pause_seconds")] public ChaosPause? ResumedPauseSeconds { get; init; }
    /// <summary>Why requests moved (numbers replaced by #) → moves.</summary>
    public IReadOnlyDictionary<string, int> ResumeReasons { get; init; } = new Dictionary<string, int>();
    /// <summary>
    /// Completed requests whose stream ended more than <see cref="LateEndSeconds"/> after their last token (a call after the
    /// last token that stood, such as the ticket's hand-back through a dead gateway), and the latest such end.
    /// </summary>
    [JsonPropertyName("ended_late")] public int EndedLate { get; init; }
    [JsonPropertyName("ended_late_max_seconds")] public double? EndedLateMaxSeconds { get; init; }
    /// <summary>Requests completed in both runs, whose outputs were compared.</summary>
    public int Compared { get; init; }
    [JsonPropertyName("differing_outputs")] public int DifferingOutputs { get; init; }
    /// <summary>The first few differing requests: index, and the first token position where they part.</summary>
    public IReadOnlyList<string> DifferingExamples { get; init; } = [];
    /// <summary>Requests of the reference run that did not complete (then not compared).</summary>
    public int ReferenceNotCompleted { get; init; }
    /// <summary>Per load whose source was killed: its seconds ÷ the median of the reference run's loads of its kind.</summary>
    [JsonPropertyName("load_time_ratios")] public IReadOnlyList<ChaosLoadRatio> LoadTimeRatios { get; init; } = [];

    /// <summary>Whether nothing was lost, failed or different, and every hit load finished.</summary>
    [JsonIgnore] public bool Clean => LostRequests == 0 && Failed == 0 && DifferingOutputs == 0 && LoadTimeRatios.All(r => r.Ratio is not null);

    private const int Examples = 5;

    /// <summary>How long after its last token a stream may end before it counts as ended late.</summary>
    public const double LateEndSeconds = 1.0;

    public static ChaosFigures Of(IReadOnlyList<ReplayRequest> reference, IReadOnlyList<ReplayRequest> faulty,
        IReadOnlyList<ChaosLoad> referenceLoads, IReadOnlyList<ChaosLoad> faultyLoads)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(faulty);
        var before = reference.ToDictionary(r => r.Index);
        int compared = 0, differing = 0;
        var examples = new List<string>();
        foreach (var request in faulty.Where(r => r.Outcome == ReplayOutcome.Ok).OrderBy(r => r.Index))
        {
            if (!before.TryGetValue(request.Index, out var twin) || twin.Outcome != ReplayOutcome.Ok) continue;
            compared++;
            if (request.TokenIds.SequenceEqual(twin.TokenIds)) continue;
            differing++;
            if (examples.Count < Examples) examples.Add($"request {request.Index}: {Parting(twin.TokenIds, request.TokenIds)}");
        }
        var lateEnds = faulty.Where(r => r.Outcome == ReplayOutcome.Ok && r.TokenTimesS.Count > 0)
            .Select(r => r.EndS - r.TokenTimesS[^1]).Where(after => after > LateEndSeconds).ToList();
        return new ChaosFigures
        {
            EndedLate = lateEnds.Count,
            EndedLateMaxSeconds = lateEnds.Count > 0 ? Math.Round(lateEnds.Max(), 3) : null,
            Sent = faulty.Count,
            Completed = faulty.Count(r => r.Outcome == ReplayOutcome.Ok),
            Failed = faulty.Count(r => r.Outcome == ReplayOutcome.Failed),
            FailedReasons = Reasons(faulty, ReplayOutcome.Failed),
            LostRequests = faulty.Count(r => r.Outcome == ReplayOutcome.Lost),
            LostReasons = Reasons(faulty, ReplayOutcome.Lost),
            Resumed = faulty.Count(r => r.Resumes > 0),
            Resumes = faulty.Sum(r => r.Resumes),
            ResumedPauseSeconds = ChaosPause.Of([.. faulty.Where(r => r.Resumes > 0).Select(LongestPause)]),
            ResumeReasons = faulty.SelectMany(r => r.ResumeReasons).GroupBy(Reason).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count()),
            Compared = compared,
            DifferingOutputs = differing,
            DifferingExamples = examples,
            ReferenceNotCompleted = reference.Count(r => r.Outcome != ReplayOutcome.Ok),
            LoadTimeRatios = Ratios(referenceLoads, faultyLoads),
        };
    }

    /// <summary>A request's longest wait: from its start to its first token, or between two tokens (to its end when it got none).</summary>
    internal static double LongestPause(ReplayRequest request)
    {
        double longest = 0, last = request.StartS;
        foreach (double at in request.TokenTimesS)
        {
            longest = Math.Max(longest, at - last);
            last = at;
        }
        return request.TokenTimesS.Count == 0 ? request.EndS - request.StartS : longest;
    }

    private static string Parting(IReadOnlyList<int> expected, IReadOnlyList<int> found)
    {
        int common = Math.Min(expected.Count, found.Count);
        int at = Enumerable.Range(0, common).FirstOrDefault(i => expected[i] != found[i], common);
        return at < common
            ? $"token {at} is {found[at]}, the reference's {expected[at]}"
            : $"{found.Count} tokens, the reference's {expected.Count}";
    }

    private static Dictionary<string, int> Reasons(IReadOnlyList<ReplayRequest> log, ReplayOutcome outcome) =>
        log.Where(r => r.Outcome == outcome).GroupBy(r => Reason(r.Error)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());

    /// <summary>An error with its quoted names (request ids) replaced by "…" and its numbers by #, so the same failure on different requests groups together.</summary>
    public static string Reason(string? error) => error is null ? "(no reason given)" : Numbers().Replace(Quoted().Replace(error, "\"…\""), "#");

    private static IReadOnlyList<ChaosLoadRatio> Ratios(IReadOnlyList<ChaosLoad> referenceLoads, IReadOnlyList<ChaosLoad> faultyLoads) =>
        [.. faultyLoads.Where(l => l.SourceKilled).Select(load =>
        {
            var same = referenceLoads.Where(r => r.Kind == load.Kind && r.Seconds is not null).Select(r => r.Seconds!.Value).ToList();
            double? median = Percentiles.Median(same);
            double? ratio = load.Seconds is { } s && median is > 0 ? Math.Round(s / median.Value, 3) : null;
            return new ChaosLoadRatio(load.Order, load.Kind, load.Gpu, load.Source, load.Seconds, median, same.Count, ratio, ratio is { } r ? r <= GoalLoadTimeRatio : null);
        })];

    [GeneratedRegex(@"\d+(\.\d+)?")]
    private static partial Regex Numbers();

    [GeneratedRegex("\"[^\"]*\"")]
    private static partial Regex Quoted();
}

/// <summary>A run's ticket hand-backs that a second try joined, and those past the stream's wait limit.</summary>
internal sealed record ChaosHandBacks([property: JsonPropertyName("second_tries")] long SecondTries, [property: JsonPropertyName("past_limit")] long PastLimit);

/// <summary>The median and the largest of some waits, in seconds (rounded to ms).</summary>
internal sealed record ChaosPause(double Median, double Max, int Requests)
{
    public static ChaosPause? Of(IReadOnlyList<double> pauses)
    {
        if (Percentiles.Median(pauses) is not { } median) return null;
        return new ChaosPause(Math.Round(median, 3), Math.Round(pauses.Max(), 3), pauses.Count);
    }
}

/// <summary>A load whose source was killed: its time, the reference's median for its kind (over how many loads), the ratio and the goal.</summary>
internal sealed record ChaosLoadRatio(int Order, string Kind, string Gpu, string Source, double? Seconds, double? ReferenceMedianSeconds, int ReferenceLoads,
    double? Ratio, bool? GoalMet);
