using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace BlitzScale.Grains.Telemetry;

/// <summary>
/// The wall time of one call's steps, for its log line ("plan 12 ms, load shards 830 ms, begin 3 ms"): a scale call that
/// is slow must say where, and the silos' logs are all a testbed run leaves.
/// </summary>
internal sealed class StepTimes
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly List<(string Step, double Ms)> _steps = [];
    private long _last;

    public StepTimes() => _last = _start;

    /// <summary>Milliseconds since the first step began.</summary>
    public double TotalMs => Stopwatch.GetElapsedTime(_start).TotalMilliseconds;

    /// <summary>Ends the step running now under <paramref name="step"/>; the next one starts.</summary>
    public void Lap(string step)
    {
        long now = Stopwatch.GetTimestamp();
        _steps.Add((step, Stopwatch.GetElapsedTime(_last, now).TotalMilliseconds));
        _last = now;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var (step, ms) in _steps)
        {
            if (text.Length > 0) text.Append(", ");
            text.Append(CultureInfo.InvariantCulture, $"{step} {ms:0.0} ms");
        }
        return text.ToString();
    }
}
