using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using BlitzScale.Grains.Serving;

namespace BlitzScale.Grains.Telemetry;

/// <summary>
/// vLLM's serving metrics with vLLM's names, label <c>model_name</c> and buckets, so dashboards and autoscalers built
/// for vLLM read them unchanged. Like one vLLM server, a silo exports the instances it hosts, summed per model.
/// </summary>
/// <remarks>
/// Instruments are named <c>vllm_…</c>: OpenTelemetry's instrument names cannot hold vLLM's colon; the silo's metrics
/// page renames them to <c>vllm:…</c>. Histograms carry no unit: an exporter would append it to the name, and vLLM's names already end in it.</remarks>
internal sealed class ServingMetrics
{
    private readonly ConcurrentDictionary<string, Tracked> _instances = new(StringComparer.Ordinal);

    public ServingMetrics(Meter meter)
    {
        meter.CreateObservableGauge("vllm_num_requests_running", () => PerModel(s => s.Running), description: "Number of requests in model execution batches.");
        meter.CreateObservableGauge("vllm_num_requests_waiting", () => PerModel(s => s.Waiting), description: "Number of requests waiting to be processed.");
        meter.CreateObservableGauge("vllm_kv_cache_usage_perc", KvUsage, description: "KV-cache usage. 1 means 100 percent usage.");
        PromptTokens = meter.CreateCounter<long>("vllm_prompt_tokens_total", description: "Number of prefill tokens processed.");
        GenerationTokens = meter.CreateCounter<long>("vllm_generation_tokens_total", description: "Number of generation tokens processed.");
        RequestSuccess = meter.CreateCounter<long>("vllm_request_success_total", description: "Count of successfully processed requests.");
        TimeToFirstToken = Histogram(meter, "vllm_time_to_first_token_seconds", "Histogram of time to first token in seconds.", VllmBuckets.TimeToFirstToken);
        InterTokenLatency = Histogram(meter, "vllm_inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", VllmBuckets.InterTokenLatency);
        EndToEnd = Histogram(meter, "vllm_e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", VllmBuckets.RequestLatency);
        QueueTime = Histogram(meter, "vllm_request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", VllmBuckets.RequestLatency);
    }

    public Counter<long> PromptTokens { get; }
    public Counter<long> GenerationTokens { get; }
    public Counter<long> RequestSuccess { get; }
    public Histogram<double> TimeToFirstToken { get; }
    public Histogram<double> InterTokenLatency { get; }
    public Histogram<double> EndToEnd { get; }
    public Histogram<double> QueueTime { get; }

    /// <summary>Counts a serving instance of <paramref name="model"/> in the gauges until the returned handle is disposed.</summary>
    /// <param name="read">The instance's load now; called at scrape time, from any thread.</param>
    public IDisposable TrackInstance(string shard, string model, Func<InstanceStats> read)
    {
        _instances[shard] = new Tracked(model, read);
        return new Untrack(_instances, shard);
    }

    /// <summary>Starts recording one request's tokens and latencies.</summary>
    public RequestRecorder Request(string model, int promptTokens) => new(this, model, promptTokens);

    internal static Histogram<double> Histogram(Meter meter, string name, string description, IReadOnlyList<double> buckets) =>
        meter.CreateHistogram(name, unit: null, description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });

    internal static KeyValuePair<string, object?> ModelTag(string model) => new(MetricLabels.Model, model);

    // Sums the instances per model at scrape time; a model with no instance on this silo is not reported.
    private IEnumerable<Measurement<int>> PerModel(Func<InstanceStats, int> pick) =>
        _instances.Values.GroupBy(t => t.Model, StringComparer.Ordinal)
            .Select(g => new Measurement<int>(g.Sum(t => pick(t.Read())), ModelTag(g.Key)));

    private IEnumerable<Measurement<double>> KvUsage() =>
        _instances.Values.GroupBy(t => t.Model, StringComparer.Ordinal).Select(g =>
        {
            var stats = g.Select(t => t.Read()).ToList();
            long total = stats.Sum(s => (long)s.KvBlocksTotal);
            return new Measurement<double>(total == 0 ? 0 : (double)stats.Sum(s => (long)s.KvBlocksUsed) / total, ModelTag(g.Key));
        });

    private sealed record Tracked(string Model, Func<InstanceStats> Read);

    private sealed class Untrack(ConcurrentDictionary<string, Tracked> instances, string shard) : IDisposable
    {
        public void Dispose() => instances.TryRemove(shard, out _);
    }
}
