namespace BlitzScale.Cli.Benchmarks;

/// <summary>The phase of <c>bench live</c> a request arrives in.</summary>
internal enum LivePhase
{
    /// <summary>Below one instance's capacity, before the scale request.</summary>
    Steady,
    /// <summary>Above one instance's capacity; the scale request is sent at its start.</summary>
    Burst,
}

/// <summary>One scheduled request: when it arrives (seconds from the run's origin), independent of every other request.</summary>
internal sealed record LiveArrival(int Index, LivePhase Phase, double AtSeconds);

/// <summary>
/// The open-loop arrival schedule of <c>bench live</c>: a steady phase then a burst, each with round(rate × seconds)
/// arrivals placed uniformly at random in its window (a Poisson process conditioned on its count), seeded, so every policy
/// of one run — and every run with the same seed — sees the very same arrivals. Requests start at these times whether or
/// not earlier ones have finished.
/// </summary>
internal sealed class LiveSchedule
{
    private LiveSchedule(IReadOnlyList<LiveArrival> arrivals, double steadySeconds, double burstSeconds)
    {
        Arrivals = arrivals;
        BurstStartSeconds = steadySeconds;
        EndSeconds = steadySeconds + burstSeconds;
    }

    /// <summary>Every arrival, in time order, indexed 0, 1, … in that order.</summary>
    public IReadOnlyList<LiveArrival> Arrivals { get; }

    /// <summary>When the burst starts (the end of the steady phase), seconds from the origin.</summary>
    public double BurstStartSeconds { get; }

    /// <summary>When the burst ends, seconds from the origin.</summary>
    public double EndSeconds { get; }

    /// <summary>Builds the schedule.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate or duration is negative or not finite.</exception>
    public static LiveSchedule Build(double steadyRps, double steadySeconds, double burstRps, double burstSeconds, int seed)
    {
        ThrowIfNegative(steadyRps, "--steady-rps");
        ThrowIfNegative(steadySeconds, "--steady-seconds");
        ThrowIfNegative(burstRps, "--burst-rps");
        ThrowIfNegative(burstSeconds, "--burst-seconds");
        // One generator per phase, so the burst's arrivals do not move when only the steady phase changes.
        var steady = Phase(new Random(seed), steadyRps, 0, steadySeconds);
        var burst = Phase(new Random(unchecked(seed * 7919 + 1)), burstRps, steadySeconds, burstSeconds);
        var arrivals = steady.Select(t => (Phase: LivePhase.Steady, At: t)).Concat(burst.Select(t => (Phase: LivePhase.Burst, At: t)))
            .Select((a, i) => new LiveArrival(i, a.Phase, a.At)).ToList();
        return new LiveSchedule(arrivals, steadySeconds, burstSeconds);
    }

    /// <summary>Arrivals of one phase of <paramref name="rps"/> over [<paramref name="start"/>, start + <paramref name="seconds"/>), ascending.</summary>
    private static IEnumerable<double> Phase(Random random, double rps, double start, double seconds)
    {
        int count = (int)Math.Round(rps * seconds, MidpointRounding.AwayFromZero);
        return Enumerable.Range(0, count).Select(_ => start + random.NextDouble() * seconds).Order();
    }

    private static void ThrowIfNegative(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number ≥ 0");
    }
}
