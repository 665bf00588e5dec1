namespace BlitzScale.Scaling.Autoscaling;

/// <summary>
/// One instance's prefill capacity (prompt tokens per second of step time), estimated from the growth of the instances'
/// cumulative prefill counters between ticks. Samples of an instance still in its warm-up (the first steps after it
/// starts serving run cold) only move its baseline. Older samples fade, so the estimate follows a changed instance.
/// </summary>
internal sealed class PrefillCapacity(TimeSpan warmUp)
{
    // Each tick's sum keeps this share of the earlier ones: about the last 20 ticks weigh.
    private const double Fade = 0.95;
    private readonly Dictionary<int, (long Tokens, double Seconds)> _seen = [];
    private double _tokens;
    private double _seconds;

    /// <summary>Prompt tokens per second one instance prefills; 0 until a sample past warm-up.</summary>
    public double TokensPerSecond { get; private set; }

    public void Observe(IReadOnlyList<InstanceSignals> instances, DateTimeOffset now)
    {
        double tokens = 0, seconds = 0;
        var serving = new HashSet<int>();
        foreach (var i in instances)
        {
            if (i.State is not (Instances.InstanceState.Serving or Instances.InstanceState.LiveOld)) continue;
            serving.Add(i.Instance);
            // No figures this tick: its baseline stays for the next answer.
            if (!i.Answered) continue;
            bool warm = now - i.Since >= warmUp;
            if (_seen.TryGetValue(i.Instance, out var last) && warm && i.PrefilledTokens >= last.Tokens && i.PrefillSeconds >= last.Seconds)
            {
                tokens += i.PrefilledTokens - last.Tokens;
                seconds += i.PrefillSeconds - last.Seconds;
            }
            _seen[i.Instance] = (i.PrefilledTokens, i.PrefillSeconds);
        }
        foreach (int gone in _seen.Keys.Where(k => !serving.Contains(k)).ToList()) _seen.Remove(gone);
        _tokens = _tokens * Fade + tokens;
        _seconds = _seconds * Fade + seconds;
        if (seconds > 0 && _seconds > 0) TokensPerSecond = _tokens / _seconds;
    }
}
