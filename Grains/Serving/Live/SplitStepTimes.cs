using System.Diagnostics;

namespace BlitzScale.Grains.Serving.Live;

/// <summary>
/// Where a live pair's split steps spend their time, summed per phase and reported every <see cref="ReportEvery"/> steps
/// (a split token took about 120 ms on the testbed against 23 ms for a token served whole, and no log said why).
/// Thread-safe: steps of different requests end on different threads.
/// </summary>
internal sealed class SplitStepTimes(int phases)
{
    /// <summary>Steps between two reports.</summary>
    public const int ReportEvery = 32;

    private readonly Lock _gate = new();
    private readonly double[] _sums = new double[phases];
    private int _steps;

    /// <summary>The milliseconds since <paramref name="start"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public static double Since(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;

    /// <summary>Adds one step's milliseconds per phase; every <see cref="ReportEvery"/> steps returns their means and starts again, else null.</summary>
    public double[]? Add(params ReadOnlySpan<double> milliseconds)
    {
        lock (_gate)
        {
            for (int i = 0; i < _sums.Length; i++) _sums[i] += milliseconds[i];
            if (++_steps < ReportEvery) return null;
            var means = _sums.Select(s => s / _steps).ToArray();
            Array.Clear(_sums);
            _steps = 0;
            return means;
        }
    }
}
