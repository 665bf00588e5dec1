using System.Collections.Concurrent;
using BlitzScale.Grains.Serving;
using Prometheus;

namespace BlitzScale.Grains.Telemetry;

/// <summary>
/// vLLM's serving metrics with vLLM's names, label <c>model_name</c> and buckets, so dashboards and autoscalers built
/// for vLLM read them unchanged. Like one vLLM server, a silo exports the instances it hosts, summed per model.
/// </summary>
internal sealed class ServingMetrics
{
    private readonly ConcurrentDictionary<string, Tracked> _instances = new(StringComparer.Ordinal);
    private readonly Lock _refresh = new();
    private readonly HashSet<string> _exported = new(StringComparer.Ordinal);
    private readonly Gauge _running, _waiting, _kvUsage;

    public ServingMetrics(IMetricFactory factory, CollectorRegistry registry)
    {
        string[] model = [MetricLabels.Model];
        _running = factory.CreateGauge("vllm:num_requests_running", "Number of requests in model execution batches.", model);
        _waiting = factory.CreateGauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", model);
        _kvUsage = factory.CreateGauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", model);
        PromptTokens = factory.CreateCounter("vllm:prompt_tokens_total", "Number of prefill tokens processed.", model);
        GenerationTokens = factory.CreateCounter("vllm:generation_tokens_total", "Number of generation tokens processed.", model);
        RequestSuccess = factory.CreateCounter("vllm:request_success_total", "Count of successfully processed requests.",
            [MetricLabels.Model, MetricLabels.FinishedReason]);
        TimeToFirstToken = factory.CreateHistogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", model,
            new HistogramConfiguration { Buckets = VllmBuckets.TimeToFirstToken });
        InterTokenLatency = factory.CreateHistogram("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", model,
            new HistogramConfiguration { Buckets = VllmBuckets.InterTokenLatency });
        EndToEnd = factory.CreateHistogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", model,
            new HistogramConfiguration { Buckets = VllmBuckets.RequestLatency });
        QueueTime = factory.CreateHistogram("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", model,
            new HistogramConfiguration { Buckets = VllmBuckets.RequestLatency });
        registry.AddBeforeCollectCallback(Refresh);
    }

    public Counter PromptTokens { get; }
    public Counter GenerationTokens { get; }
    public Counter RequestSuccess { get; }
    public Histogram TimeToFirstToken { get; }
    public Histogram InterTokenLatency { get; }
    public Histogram EndToEnd { get; }
    public Histogram QueueTime { get; }

    /// <summary>Counts a serving instance of <paramref name="model"/> in the gauges until the returned handle is disposed.</summary>
    /// <param name="read">The instance's load now; called at scrape time, from any thread.</param>
    public IDisposable TrackInstance(string shard, string model, Func<InstanceStats> read)
    {
        _instances[shard] = new Tracked(model, read);
        return new Untrack(_instances, shard);
    }

    /// <summary>Starts recording one request's tokens and latencies.</summary>
    public RequestRecorder Request(string model, int promptTokens) => new(this, model, promptTokens);

    // Sums the instances per model at scrape time; a model whose last instance left this silo leaves the page.
    private void Refresh()
    {
        var sums = new Dictionary<string, (int Running, int Waiting, long Used, long Total)>(StringComparer.Ordinal);
        foreach (var tracked in _instances.Values)
        {
            var stats = tracked.Read();
            var sum = sums.GetValueOrDefault(tracked.Model);
            sums[tracked.Model] = (sum.Running + stats.Running, sum.Waiting + stats.Waiting, sum.Used + stats.KvBlocksUsed, sum.Total + stats.KvBlocksTotal);
        }
        lock (_refresh)
        {
            foreach (var (model, sum) in sums)
            {
                _running.WithLabels(model).Set(sum.Running);
                _waiting.WithLabels(model).Set(sum.Waiting);
                _kvUsage.WithLabels(model).Set(sum.Total == 0 ? 0 : (double)sum.Used / sum.Total);
            }
            foreach (string gone in _exported.Where(m => !sums.ContainsKey(m)).ToList())
            {
                _running.RemoveLabelled(gone);
                _waiting.RemoveLabelled(gone);
                _kvUsage.RemoveLabelled(gone);
                _exported.Remove(gone);
            }
            _exported.UnionWith(sums.Keys);
        }
    }

    private sealed record Tracked(string Model, Func<InstanceStats> Read);

    private sealed class Untrack(ConcurrentDictionary<string, Tracked> instances, string shard) : IDisposable
    {
        public void Dispose() => instances.TryRemove(shard, out _);
    }
}
