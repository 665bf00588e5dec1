using BlitzScale.Cli.Benchmarks;

namespace BlitzScale.Cli.Replay;

/// <summary>p50/p90/p99 and the largest value of a sample, nearest-rank (the rule of <see cref="Percentiles"/>), rounded to 0.001.</summary>
internal sealed record Spread(int Count, double P50, double P90, double P99, double Max)
{
    /// <summary>The spread of <paramref name="values"/>; null when there are none.</summary>
    public static Spread? Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return null;
        return new Spread(sorted.Length, R(Percentiles.Rank(sorted, 0.50)), R(Percentiles.Rank(sorted, 0.90)), R(Percentiles.Rank(sorted, 0.99)), R(sorted[^1]));
    }

    private static double R(double value) => Math.Round(value, 3);
}
