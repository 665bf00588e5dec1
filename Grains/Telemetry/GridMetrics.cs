using System.Collections.Concurrent;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Scaling.Planning;
using Prometheus;
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
    private readonly Lock _refresh = new();
    private readonly HashSet<(string Model, string Shard)> _exportedLoading = [];
    private readonly Gauge _instances, _layersLoaded, _hostCacheBytes;
    private readonly Counter _transferBytes, _scaleEvents;
    private readonly Histogram _loadSeconds;

    public GridMetrics(IMetricFactory factory, CollectorRegistry registry)
    {
        _instances = factory.CreateGauge("blitzscale_instances", "Instances of a model by state (the model grain's state machine).",
            [MetricLabels.Model, MetricLabels.State]);
        _layersLoaded = factory.CreateGauge("blitzscale_layers_loaded", "Layers landed so far on an instance that is loading.",
            [MetricLabels.Model, MetricLabels.Instance]);
        _hostCacheBytes = factory.CreateGauge("blitzscale_host_cache_bytes", "Bytes of model copies in a host's memory.", [MetricLabels.Host]);
        _transferBytes = factory.CreateCounter("blitzscale_transfer_bytes_total", "Parameter bytes landed on instances, by link and source.",
            [MetricLabels.Model, MetricLabels.Link, MetricLabels.Source]);
        _scaleEvents = factory.CreateCounter("blitzscale_scale_events_total", "Events on a model's stream, by kind.",
            [MetricLabels.Model, MetricLabels.Reason]);
        _loadSeconds = factory.CreateHistogram("blitzscale_load_seconds", "Seconds from the start of an instance's load to its last byte.",
            [MetricLabels.Model], new HistogramConfiguration { Buckets = LoadBuckets });
        registry.AddBeforeCollectCallback(Refresh);
    }

    /// <summary>The number of instances of <paramref name="model"/> in each state; every state is exported, absent ones as 0.</summary>
    public void SetInstances(string model, IEnumerable<InstanceState> states)
    {
        var counts = states.CountBy(s => s).ToDictionary();
        foreach (var state in Enum.GetValues<InstanceState>())
            _instances.WithLabels(model, StateLabel(state)).Set(counts.GetValueOrDefault(state));
    }

    /// <summary>The model grain left this silo: its instances are exported where it lives next.</summary>
    public void RemoveModel(string model)
    {
        foreach (var state in Enum.GetValues<InstanceState>()) _instances.RemoveLabelled(model, StateLabel(state));
    }

    /// <summary>Exports a loading instance's landed layers until the returned handle is disposed.</summary>
    /// <param name="read">Layers landed now; called at scrape time, from any thread.</param>
    public IDisposable TrackLoading(string shard, string model, Func<int> read)
    {
        _loading[shard] = (model, read);
        return new Untrack(_loading, shard);
    }

    /// <summary>A whole blob of <paramref name="bytes"/> landed on an instance of <paramref name="model"/> through <paramref name="feed"/>.</summary>
    public void Landed(string model, LoadFeed feed, long bytes) =>
        _transferBytes.WithLabels(model, feed.Link.ToLowerInvariant(), SourceKind(feed)).Inc(bytes);

    /// <summary>An event on the model's stream (layer and byte progress are not scale events and are not counted).</summary>
    public void Event(ModelEvent e)
    {
        if (e.Kind is ModelEventKind.LayerReady or ModelEventKind.TransferProgress) return;
        _scaleEvents.WithLabels(e.Model, e.Kind.ToString().ToLowerInvariant()).Inc();
    }

    /// <summary>An instance's parameters are whole.</summary>
    public void Loaded(string model, double seconds) => _loadSeconds.WithLabels(model).Observe(seconds);

    /// <summary>The bytes of the copies in <paramref name="host"/>'s memory now.</summary>
    public void HostCache(string host, long bytes) => _hostCacheBytes.WithLabels(host).Set(bytes);

    /// <summary>"gpu" (a peer instance), "host_copy" (a host-memory copy) or "storage" (model files).</summary>
    public static string SourceKind(LoadFeed feed) =>
        feed.Kind == FeedKind.Storage || feed.From.StartsWith(TransferPlan.StorageEndpoint, StringComparison.Ordinal) ? "storage"
        : TransferPlan.HostOfHostCopy(feed.From) is not null ? "host_copy"
        : "gpu";

    private static string StateLabel(InstanceState state) => state.ToString().ToLowerInvariant();

    private void Refresh()
    {
        var now = _loading.Select(kv => (Key: (kv.Value.Model, Shard: kv.Key), Layers: kv.Value.Read())).ToList();
        lock (_refresh)
        {
            foreach (var (key, layers) in now) _layersLoaded.WithLabels(key.Model, key.Shard).Set(layers);
            var current = now.Select(n => n.Key).ToHashSet();
            foreach (var gone in _exportedLoading.Where(k => !current.Contains(k)).ToList())
            {
                _layersLoaded.RemoveLabelled(gone.Model, gone.Shard);
                _exportedLoading.Remove(gone);
            }
            _exportedLoading.UnionWith(current);
        }
    }

    private sealed class Untrack(ConcurrentDictionary<string, (string, Func<int>)> loading, string shard) : IDisposable
    {
        public void Dispose() => loading.TryRemove(shard, out _);
    }
}
