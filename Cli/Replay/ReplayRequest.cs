using System.Text.Json.Serialization;

namespace BlitzScale.Cli.Replay;

/// <summary>How one replayed request ended.</summary>
internal enum ReplayOutcome
{
    /// <summary>Every asked-for token arrived and the stream finished.</summary>
    Ok,
    /// <summary>The grid said why it could not serve it (an error reached the client).</summary>
    Failed,
    /// <summary>No answer: the stream ended short without a reason, or it was still open when the drain time ran out.</summary>
    Lost,
}

/// <summary>
/// What happened to one replayed request; times are seconds from the replay's start (the schedule's zero).
/// </summary>
/// <param name="Index">Its index in the schedule.</param>
/// <param name="TraceLine">Its line in the trace file.</param>
/// <param name="ArrivalS">When the schedule sent it.</param>
/// <param name="StartS">When the driver actually started it (≥ arrival; the difference is the driver's own lag).</param>
/// <param name="PromptTokens">Prompt tokens sent.</param>
/// <param name="OutputTokens">Tokens asked for.</param>
/// <param name="TokenTimesS">When each generated token arrived.</param>
/// <param name="EndS">When its stream ended (or it failed).</param>
/// <param name="Shard">The shard that served it (the first update names it); null when it never got one.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Error">Why it failed or was lost; null when ok.</param>
internal sealed record ReplayRequest(int Index, int TraceLine, double ArrivalS, double StartS, int PromptTokens, int OutputTokens,
    IReadOnlyList<double> TokenTimesS, double EndS, string? Shard, ReplayOutcome Outcome, string? Error)
{
    /// <summary>The GPU of <see cref="Shard"/>, from the cluster samples; null when unknown.</summary>
    public string? Gpu { get; init; }

    /// <summary>The generated token ids in order (what bench chaos compares between a faulty run and the reference run).</summary>
    public IReadOnlyList<int> TokenIds { get; init; } = [];

    /// <summary>How many times the request moved to another instance because the one serving it was lost.</summary>
    public int Resumes { get; init; }

    /// <summary>Why it moved, each time (the loss of the instance before); empty when it never moved.</summary>
    [JsonPropertyName("resume_reasons")] public IReadOnlyList<string> ResumeReasons { get; init; } = [];

    /// <summary>Arrival to first token; null unless ok.</summary>
    [JsonIgnore] public double? TtftS => Outcome == ReplayOutcome.Ok && TokenTimesS.Count > 0 ? TokenTimesS[0] - ArrivalS : null;

    /// <summary>Arrival to the stream's end; null unless ok.</summary>
    [JsonIgnore] public double? EndToEndS => Outcome == ReplayOutcome.Ok ? EndS - ArrivalS : null;

    /// <summary>The gaps between consecutive tokens (empty for fewer than two tokens or when not ok).</summary>
    [JsonIgnore]
    public IEnumerable<double> TbtS => Outcome == ReplayOutcome.Ok ? TokenTimesS.Skip(1).Select((t, i) => t - TokenTimesS[i]) : [];

    /// <summary>Mean time between tokens; null with fewer than two tokens or when not ok.</summary>
    [JsonIgnore]
    public double? MeanTbtS => Outcome == ReplayOutcome.Ok && TokenTimesS.Count > 1 ? (TokenTimesS[^1] - TokenTimesS[0]) / (TokenTimesS.Count - 1) : null;
}
