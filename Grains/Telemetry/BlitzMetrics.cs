using System.Diagnostics.Metrics;

namespace BlitzScale.Grains.Telemetry;

/// <summary>
/// This silo's metrics on the meter <see cref="MeterName"/>: vLLM's serving metrics (<c>vllm_…</c>, <c>vllm:…</c> on the page) for the instances
/// this silo hosts, and the grid's own under <c>blitzscale_</c>. The web host exports the meter at <c>/metrics</c>.
/// </summary>
public sealed class BlitzMetrics : IDisposable
{
    /// <summary>The meter name an exporter subscribes to.</summary>
    public const string MeterName = "BlitzScale";

    private readonly Meter _meter;

    /// <summary>Creates the meter (from <paramref name="factory"/>, so it is this silo's) and every instrument on it.</summary>
    public BlitzMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        Serving = new ServingMetrics(_meter);
        Grid = new GridMetrics(_meter);
    }

    /// <summary>vLLM's names: requests, tokens, KV usage, latencies.</summary>
    internal ServingMetrics Serving { get; }

    /// <summary>The grid's: instances, loads, transfers, scale events, host copies.</summary>
    internal GridMetrics Grid { get; }

    /// <summary>The meter itself, for tests that listen to it.</summary>
    internal Meter Meter => _meter;

    /// <summary>Disposes the meter.</summary>
    public void Dispose() => _meter.Dispose();
}
