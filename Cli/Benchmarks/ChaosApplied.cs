namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// One fault as it actually happened in a run: when (seconds from the replay's start), which host, what it hit (the instances
/// there, the load whose source died) and how it ended; <see cref="Error"/> when it could not be applied as planned.
/// </summary>
internal sealed class ChaosApplied
{
    public required int Order { get; init; }
    public required string Fault { get; init; }
    /// <summary>When the plan put it.</summary>
    public double PlannedAtS { get; init; }
    /// <summary>When it hit (the kill, the rate change); null when it never did.</summary>
    public double? AtS { get; set; }
    /// <summary>When it was undone (the silo ready again, the rate restored).</summary>
    public double? RestoredAtS { get; set; }
    public double HoldS { get; init; }
    public string? Host { get; set; }
    /// <summary>What it hit, in words: the model's instances on that host, or the load whose source died.</summary>
    public string? Hit { get; set; }
    /// <summary>Link faults: the rate during the fault and after it.</summary>
    public int? DegradedMbit { get; set; }
    public int? RestoredMbit { get; set; }
    public string? Error { get; set; }
}

/// <summary>
/// A scale-up that bench chaos asked for (the source-kill fault's, made in the reference run too at the same moment): the new
/// instance, its one source, and the client's time from the scale request to the instance holding every parameter.
/// </summary>
internal sealed class ChaosLoad
{
    /// <summary>The fault it belongs to.</summary>
    public required int Order { get; init; }
    /// <summary>The kind of load, compared across runs: "scale-up from one peer GPU".</summary>
    public required string Kind { get; init; }
    public required string Gpu { get; init; }
    public required string Source { get; init; }
    /// <summary>The host whose silo held the model grain when the source was chosen (null when not asked or not known).</summary>
    public string? ModelGrainHost { get; init; }
    public string? Shard { get; set; }
    /// <summary>
    /// Scale request to every parameter landed; null when it never finished. Timed by the shard's own landing time where it
    /// reports one (<see cref="Measure"/>), else by when a poll saw it.
    /// </summary>
    public double? Seconds { get; set; }
    /// <summary>Scale request to the first poll that saw every parameter landed: later than <see cref="Seconds"/> while no call reached the shard.</summary>
    public double? SeenSeconds { get; set; }
    /// <summary>Whether its source was killed mid-load (the faulty run's).</summary>
    public bool SourceKilled { get; set; }
    /// <summary>Layers landed when the source was killed.</summary>
    public int? LayersAtKill { get; set; }
    /// <summary>Whether the instance was seen Failed (a lost source) before it served.</summary>
    public bool SeenFailed { get; set; }
    /// <summary>Its feeds at the end (after a replan, the replan's).</summary>
    public string? LoadedFrom { get; set; }
    /// <summary>Bytes the last load (the replan's, when there was one) fetched.</summary>
    public long FetchedBytes { get; set; }
    public string? Error { get; set; }

    /// <summary>
    /// The load's seconds: from <paramref name="requestedAt"/> to the shard's <paramref name="landedAt"/> (both this machine's
    /// clock) when it reports one within what the poll saw, else <paramref name="seenSeconds"/>. After a kill the shard's own
    /// grain may be out of reach for seconds (calls to it failed to be addressed until membership declared the silo dead): at c8ca0d7 a
    /// load that landed 4.23 s after its request was seen at 9.19 s.
    /// </summary>
    internal static double Measure(DateTimeOffset requestedAt, DateTimeOffset? landedAt, double seenSeconds) =>
        landedAt is { } landed && landed >= requestedAt && (landed - requestedAt).TotalSeconds <= seenSeconds
            ? Math.Round((landed - requestedAt).TotalSeconds, 3)
            : seenSeconds;
}
