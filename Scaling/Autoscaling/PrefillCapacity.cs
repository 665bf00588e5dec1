namespace BlitzScale.Scaling.Autoscaling;

/// <summary>
/// One instance's prefill capacity (prompt tokens per second of step time). Measured: from the growth of the serving
/// instances' cumulative prefill counters between ticks; samples of an instance still in its warm-up (the first steps after
/// it starts serving run cold) only move its baseline, and older samples fade, so the estimate follows a changed instance.
/// Until the first sample past warm-up it is the instances' rating at start (<see cref="InstanceSignals.RatedPrefillTokensPerSecond"/>:
/// the cost profile's, or measured before their first request), so a burst at the very start is seen as one.
/// </summary>
internal sealed class PrefillCapacity(TimeSpan warmUp)
{
    // Each tick's sum keeps this share of the earlier ones: about the last 20 ticks weigh.
    private const double Fade = 0.95;
    private readonly Dictionary<int, (long Tokens, double Seconds)> _seen = [];
    private double _tokens;
    private double _seconds;
    private double _measured;
    private double _rated;

    /// <summary>Prompt tokens per second one instance prefills: measured once it has been, rated before; 0 while neither is known.</summary>
    public double TokensPerSecond => _measured > 0 ? _measured : _rated;

    /// <summary>Whether <see cref="TokensPerSecond"/> is measured under load (else the rating at start, or unknown).</summary>
    public bool Measured => _measured > 0;

    public void Observe(IReadOnlyList<InstanceSignals> instances, DateTimeOffset now)
    {
        double tokens = 0, seconds = 0;
        var serving = new HashSet<int>();
        var ratings = new List<double>();
        foreach (var i in instances)
        {
            if (i.IsActive && i.Answered && i.RatedPrefillTokensPerSecond > 0 && double.IsFinite(i.RatedPrefillTokensPerSecond))
                ratings.Add(i.RatedPrefillTokensPerSecond);
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
        // The ratings of the instances there now (a model's instances share its shape; hosts may differ): kept when none reports one.
        if (ratings.Count > 0) _rated = ratings.Average();
        _tokens = _tokens * Fade + tokens;
        _seconds = _seconds * Fade + seconds;
        if (seconds > 0 && _seconds > 0) _measured = _tokens / _seconds;
    }
}
