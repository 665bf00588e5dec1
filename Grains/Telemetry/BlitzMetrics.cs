using Prometheus;

namespace BlitzScale.Grains.Telemetry;

/// <summary>
/// This silo's Prometheus metrics, in a registry of its own (several silos may share a process): vLLM's serving metrics
/// for the instances this silo hosts, and the grid's own under <c>blitzscale_</c>. The web host serves
/// <see cref="Registry"/> at <c>/metrics</c>.
/// </summary>
public sealed class BlitzMetrics
{
    /// <summary>Creates the registry and every metric in it.</summary>
    public BlitzMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        Serving = new ServingMetrics(factory, Registry);
        Grid = new GridMetrics(factory, Registry);
    }

    /// <summary>The registry to export.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>vLLM's names: requests, tokens, KV usage, latencies.</summary>
    internal ServingMetrics Serving { get; }

    /// <summary>The grid's: instances, loads, transfers, scale events, host copies.</summary>
    internal GridMetrics Grid { get; }
}
