using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Scaling.Planning;
using InstanceState = BlitzScale.Scaling.Instances.InstanceState;

namespace BlitzScale.Grains.Telemetry;

/// <summary>
/// The grid's own metrics, under <c>blitzscale_</c>: each silo exports what its grains own (the model grains it hosts
/// export their instances' states, its shards their loads, its host-memory grain its copies).
/// </summary>
internal sealed class GridMetrics
{
    /// <summary>Buckets of <c>blitzscale_load_seconds</c>: from a peer GPU over NVLink (tens of ms) to a cold SSD (minutes).</summary>
    public static readonly double[] LoadBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500];

    private readonly ConcurrentDictionary<string, (string Model, Func<int> Read)> _loading = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<InstanceState, int>> _states = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _hostCache = new(StringComparer.Ordinal);
    private readonly Counter<long> _transferBytes, _scaleEvents, _dataPlaneRejected;
    private readonly Histogram<double> _loadSeconds;

    public GridMetrics(Meter meter)
    {
        meter.CreateObservableGauge("blitzscale_instances", Instances, description: "Instances of a model by state (the model grain's state machine).");
        meter.CreateObservableGauge("blitzscale_layers_loaded", LayersLoaded, description: "Layers landed so far on an instance that is loading.");
        meter.CreateObservableGauge("blitzscale_host_cache_bytes", HostCacheBytes, description: "Bytes of model copies in a host's memory.");
        _transferBytes = meter.CreateCounter<long>("blitzscale_transfer_bytes_total", description: "Parameter bytes landed on instances, by link and source.");
        _scaleEvents = meter.CreateCounter<long>("blitzscale_scale_events_total", description: "Events on a model's stream, by kind.");
        _dataPlaneRejected = meter.CreateCounter<long>("blitzscale_data_plane_rejected_total",
            description: "Data-plane connections this silo dropped: reason=refused (the peer did not prove the cluster secret, or not in time), reason=protocol (it proved it, then broke the protocol).");
        _loadSeconds = ServingMetrics.Histogram(meter, "blitzscale_load_seconds", "Seconds from the start of an instance's load to its last byte.", LoadBuckets);
    }

    /// <summary>The number of instances of <paramref name="model"/> in each state; every state is exported, absent ones as 0.</summary>
    public void SetInstances(string model, IEnumerable<InstanceState> states) => _states[model] = states.CountBy(s => s).ToDictionary();

    /// <summary>The model grain left this silo: its instances are exported where it lives next.</summary>
    public void RemoveModel(string model) => _states.TryRemove(model, out _);

    /// <summary>Exports a loading instance's landed layers until the returned handle is disposed.</summary>
    /// <param name="read">Layers landed now; called at scrape time, from any thread.</param>
    public IDisposable TrackLoading(string shard, string model, Func<int> read)
    {
        _loading[shard] = (model, read);
        return new Untrack(_loading, shard);
    }

    /// <summary>A whole blob of <paramref name="bytes"/> landed on an instance of <paramref name="model"/> through <paramref name="feed"/>.</summary>
    public void Landed(string model, LoadFeed feed, long bytes) => _transferBytes.Add(bytes, ServingMetrics.ModelTag(model),
        Tag(MetricLabels.Link, feed.Link.ToLowerInvariant()), Tag(MetricLabels.Source, SourceKind(feed)));

    /// <summary>An event on the model's stream (layer and byte progress are not scale events and are not counted).</summary>
    public void Event(ModelEvent e)
    {
        if (e.Kind is ModelEventKind.LayerReady or ModelEventKind.TransferProgress) return;
        _scaleEvents.Add(1, ServingMetrics.ModelTag(e.Model), Tag(MetricLabels.Reason, e.Kind.ToString().ToLowerInvariant()));
    }

    /// <summary>This silo's data plane dropped a peer: refused at the handshake, or cut for breaking the protocol.</summary>
    public void DataPlaneRejected(string host, bool refused) =>
        _dataPlaneRejected.Add(1, Tag(MetricLabels.Host, host), Tag(MetricLabels.Reason, refused ? "refused" : "protocol"));

    /// <summary>An instance's parameters are whole.</summary>
    public void Loaded(string model, double seconds) => _loadSeconds.Record(seconds, ServingMetrics.ModelTag(model));

    /// <summary>The bytes of the copies in <paramref name="host"/>'s memory now.</summary>
    public void HostCache(string host, long bytes) => _hostCache[host] = bytes;

    /// <summary>"gpu" (a peer instance), "host_copy" (a host-memory copy) or "storage" (model files).</summary>
    public static string SourceKind(LoadFeed feed) =>
        feed.Kind == FeedKind.Storage || feed.From.StartsWith(TransferPlan.StorageEndpoint, StringComparison.Ordinal) ? "storage"
        : TransferPlan.HostOfHostCopy(feed.From) is not null ? "host_copy"
        : "gpu";

    private static KeyValuePair<string, object?> Tag(string name, string value) => new(name, value);

    private IEnumerable<Measurement<int>> Instances() =>
        from model in _states
        from state in Enum.GetValues<InstanceState>()
        select new Measurement<int>(model.Value.GetValueOrDefault(state), ServingMetrics.ModelTag(model.Key),
            Tag(MetricLabels.State, state.ToString().ToLowerInvariant()));

    private IEnumerable<Measurement<int>> LayersLoaded() =>
        _loading.Select(kv => new Measurement<int>(kv.Value.Read(), ServingMetrics.ModelTag(kv.Value.Model), Tag(MetricLabels.Instance, kv.Key)));

    private IEnumerable<Measurement<long>> HostCacheBytes() =>
        _hostCache.Select(kv => new Measurement<long>(kv.Value, Tag(MetricLabels.Host, kv.Key)));

    private sealed class Untrack(ConcurrentDictionary<string, (string, Func<int>)> loading, string shard) : IDisposable
    {
        public void Dispose() => loading.TryRemove(shard, out _);
    }
}
