namespace BlitzScale.Cli.Benchmarks;

/// <summary>p50/p99 of a sample, nearest-rank.</summary>
internal sealed record Percentiles(double P50, double P99)
{
    public static Percentiles Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) return new Percentiles(0, 0);
        var sorted = values.Order().ToArray();
        return new Percentiles(Math.Round(Rank(sorted, 0.50), 3), Math.Round(Rank(sorted, 0.99), 3));
    }

    /// <summary>The median of a sample (the mean of the middle two for an even count); null when it is empty.</summary>
    internal static double? Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0) return null;
        int middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>
    /// The median of the figures present, rounded to <paramref name="digits"/>; null when none is: a benchmark's figure over
    /// its rounds, where a round may lack it.
    /// </summary>
    internal static double? MedianOfPresent(IEnumerable<double?> figures, int digits = 3) =>
        Median(figures.OfType<double>()) is { } median ? Math.Round(median, digits) : null;

    /// <summary>The nearest-rank <paramref name="p"/>-quantile of an ascending, non-empty sample.</summary>
    internal static double Rank(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
