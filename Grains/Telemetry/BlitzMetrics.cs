using System.Diagnostics.Metrics;

namespace BlitzScale.Grains.Telemetry;

/// <summary>
/// The serving meters, on the meter <c>BlitzScale</c> with instrument names under <c>blitz.</c>, so an
/// OpenTelemetry or Prometheus exporter can subscribe by name later.
/// </summary>
public sealed class BlitzMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "BlitzScale";

    private readonly Meter _meter;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Func<(int Waiting, int KvBlocksUsed)>> _instances = new();

    /// <summary>Creates the instruments.</summary>
    public BlitzMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        TimeToFirstToken = _meter.CreateHistogram<double>("blitz.ttft", "ms", "Time from a request's arrival at an instance to its first token");
        TimeBetweenTokens = _meter.CreateHistogram<double>("blitz.tbt", "ms", "Time between consecutive tokens of a request");
        Tokens = _meter.CreateCounter<long>("blitz.tokens", "{token}", "Generated tokens (rate = tokens/s)");
        Requests = _meter.CreateCounter<long>("blitz.requests", "{request}", "Finished requests, tagged by finish reason");
        _meter.CreateObservableGauge("blitz.queue_length", () => Observe(i => i.Waiting), "{request}", "Requests waiting at an instance");
        _meter.CreateObservableGauge("blitz.kv_blocks_used", () => Observe(i => i.KvBlocksUsed), "{block}", "KV-cache blocks in use at an instance");
    }

    /// <summary>TTFT per request, tagged with model and instance.</summary>
    public Histogram<double> TimeToFirstToken { get; }
    /// <summary>Time between tokens.</summary>
    public Histogram<double> TimeBetweenTokens { get; }
    /// <summary>Generated tokens.</summary>
    public Counter<long> Tokens { get; }
    /// <summary>Finished requests.</summary>
    public Counter<long> Requests { get; }

    /// <summary>Adds an instance to the queue-length and KV gauges until the returned handle is disposed.</summary>
    public IDisposable TrackInstance(string shard, Func<(int Waiting, int KvBlocksUsed)> read)
    {
        _instances[shard] = read;
        return new Untrack(this, shard);
    }

    private IEnumerable<Measurement<int>> Observe(Func<(int Waiting, int KvBlocksUsed), int> pick) =>
        _instances.Select(kv => new Measurement<int>(pick(kv.Value()), new KeyValuePair<string, object?>("instance", kv.Key)));

    private sealed class Untrack(BlitzMetrics metrics, string shard) : IDisposable
    {
        public void Dispose() => metrics._instances.TryRemove(shard, out _);
    }

    /// <summary>Disposes the meter.</summary>
    public void Dispose() => _meter.Dispose();
}
