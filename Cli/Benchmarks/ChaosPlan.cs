namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// Where the faults may fall: between <see cref="EarliestShare"/> and <see cref="LatestShare"/> of the played window, each
/// holding <see cref="MinHoldSeconds"/>–<see cref="MaxHoldSeconds"/>, a source killed after 10–50% of the new instance's layers.
/// </summary>
internal sealed record ChaosBounds(double EarliestShare, double LatestShare, double MinHoldSeconds, double MaxHoldSeconds)
{
    public const double DefaultEarliestShare = 0.15;
    public const double DefaultLatestShare = 0.85;
    public const double DefaultMinHoldSeconds = 4;
    public const double DefaultMaxHoldSeconds = 8;
    public const double MinKillShare = 0.1;
    public const double MaxKillShare = 0.5;

    public static ChaosBounds Default { get; } = new(DefaultEarliestShare, DefaultLatestShare, DefaultMinHoldSeconds, DefaultMaxHoldSeconds);
}

/// <summary>
/// The seeded fault schedule: the same seed gives the same schedule. The span the bounds allow is cut into one slot per
/// fault (the faults in a seeded order); each fault starts at a seeded moment of its slot and ends within it, so faults never
/// overlap and each one's effect can be told apart.
/// </summary>
internal static class ChaosPlan
{
    /// <exception cref="ArgumentException">No fault, bad bounds, or a window too short for the faults' holds.</exception>
    public static IReadOnlyList<ChaosFault> Of(int seed, double playedSeconds, IReadOnlyList<ChaosFaultKind> kinds, ChaosBounds bounds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        ArgumentNullException.ThrowIfNull(bounds);
        if (kinds.Count == 0) throw new ArgumentException("no fault to plan");
        if (!(playedSeconds > 0) || !double.IsFinite(playedSeconds)) throw new ArgumentException($"the played window must be > 0 s, found {playedSeconds}");
        if (!(bounds.EarliestShare >= 0 && bounds.EarliestShare < bounds.LatestShare && bounds.LatestShare <= 1))
            throw new ArgumentException($"fault window: expected 0 ≤ earliest < latest ≤ 1, found {bounds.EarliestShare} and {bounds.LatestShare}");
        if (!(bounds.MinHoldSeconds > 0 && bounds.MinHoldSeconds <= bounds.MaxHoldSeconds))
            throw new ArgumentException($"--hold-seconds: expected 0 < min ≤ max, found {bounds.MinHoldSeconds} and {bounds.MaxHoldSeconds}");
        double start = bounds.EarliestShare * playedSeconds;
        double slot = (bounds.LatestShare - bounds.EarliestShare) * playedSeconds / kinds.Count;
        if (slot < bounds.MaxHoldSeconds)
        {
            throw new ArgumentException(FormattableString.Invariant(
                $"the played window ({playedSeconds:0.#} s) is too short for {kinds.Count} fault(s) holding up to {bounds.MaxHoldSeconds} s each: each gets a {slot:0.#} s slot; play longer (--played-seconds) or hold shorter"));
        }
        var random = new Random(seed);
        var order = kinds.ToArray();
        random.Shuffle(order);
        var faults = new List<ChaosFault>(order.Length);
        for (int k = 0; k < order.Length; k++)
        {
            double hold = bounds.MinHoldSeconds + random.NextDouble() * (bounds.MaxHoldSeconds - bounds.MinHoldSeconds);
            double at = start + k * slot + random.NextDouble() * (slot - hold);
            double killShare = ChaosBounds.MinKillShare + random.NextDouble() * (ChaosBounds.MaxKillShare - ChaosBounds.MinKillShare);
            faults.Add(new ChaosFault(k + 1, order[k], Math.Round(at, 3), Math.Round(hold, 3), random.Next(), Math.Round(killShare, 3)));
        }
        return faults;
    }
}
