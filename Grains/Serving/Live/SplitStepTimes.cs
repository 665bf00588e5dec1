using System.Diagnostics;
using System.Runtime;

namespace BlitzScale.Grains.Serving.Live;

/// <summary>
/// Where a live pair's split steps spend their time, summed per phase and reported for the pair's first step alone, then every
/// <see cref="ReportEvery"/> steps (a split token took about 120 ms on the testbed against 23 ms for a token served whole, and
/// no log said why). Each report also gives the milliseconds this process spent compiling methods (JIT) since the last one,
/// or since the pair formed: the first split step runs code the silo may never have run. Thread-safe: steps of different
/// requests end on different threads.
/// </summary>
internal sealed class SplitStepTimes(int phases, Func<TimeSpan>? jitTime = null)
{
    /// <summary>Steps between two reports after the first.</summary>
    public const int ReportEvery = 32;

    private readonly Func<TimeSpan> _jitTime = jitTime ?? (() => JitInfo.GetCompilationTime());
    private readonly Lock _gate = new();
    private readonly double[] _sums = new double[phases];
    private int _steps;
    private bool _reportedFirst;
    private TimeSpan? _jitAtStart;

    /// <summary>The milliseconds since <paramref name="start"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public static double Since(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;

    /// <summary>Starts the JIT count now (the pair formed); otherwise it starts at the first step.</summary>
    public void Start()
    {
        lock (_gate) _jitAtStart ??= _jitTime();
    }

    /// <summary>
    /// Adds one step's milliseconds per phase. Returns the first step's report, then one every <see cref="ReportEvery"/> steps
    /// (the phases' means and the JIT time since the last report), and starts again; else null.
    /// </summary>
    public SplitStepReport? Add(params ReadOnlySpan<double> milliseconds)
    {
        lock (_gate)
        {
            _jitAtStart ??= _jitTime();
            for (int i = 0; i < _sums.Length; i++) _sums[i] += milliseconds[i];
            if (++_steps < ReportEvery && _reportedFirst) return null;
            _reportedFirst = true;
            var jit = _jitTime();
            var report = new SplitStepReport(_steps, [.. _sums.Select(s => s / _steps)], (jit - _jitAtStart.Value).TotalMilliseconds);
            Array.Clear(_sums);
            _steps = 0;
            _jitAtStart = jit;
            return report;
        }
    }
}

/// <summary>The split steps since the last report: how many, each phase's mean milliseconds, and the process's JIT milliseconds meanwhile.</summary>
internal sealed record SplitStepReport(int Steps, double[] Means, double JitMilliseconds);
