namespace BlitzScale.Grains.Serving;

/// <summary>
/// An instance's recent time to first token and time between tokens, as moving averages (each new sample weighs
/// <see cref="Weight"/>), for the autoscaler's signals. Not thread-safe: its server calls it under its lock.
/// </summary>
internal sealed class ServingLatency
{
    private const double Weight = 0.2;

    public double TtftMs { get; private set; }

    public double TbtMs { get; private set; }

    public void FirstToken(double ms) => TtftMs = Average(TtftMs, ms);

    public void NextToken(double gapMs) => TbtMs = Average(TbtMs, gapMs);

    private static double Average(double current, double sample) => current == 0 ? sample : current + Weight * (sample - current);
}
