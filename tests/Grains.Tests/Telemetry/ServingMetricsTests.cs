using System.Diagnostics.Metrics;
using BlitzScale.Grains.Serving;
using BlitzScale.Grains.Telemetry;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Tests.Telemetry;

/// <summary>What one request and the tracked instances put into vLLM's metrics, read straight off the meter.</summary>
public sealed class ServingMetricsTests : IDisposable
{
    private static readonly (string, string) Model = ("model_name", "m");
    private readonly Meter _meter = new($"serving-metrics-test-{Guid.NewGuid():N}");
    private readonly ServingMetrics _metrics;
    private readonly MeasurementLog _log;

    public ServingMetricsTests()
    {
        _metrics = new ServingMetrics(_meter);
        _log = new MeasurementLog(_meter);
    }

    [Fact]
    public void A_request_to_its_length_records_tokens_and_every_latency_in_seconds()
    {
        var request = _metrics.Request("m", promptTokens: 5);
        request.Token(new ServedToken(7, 0, 10, null, QueuedMs: 4));
        request.Token(new ServedToken(8, 1, 25, null, QueuedMs: 4));
        request.Token(new ServedToken(9, 2, 45, ServingFinishReason.Length, QueuedMs: 4));
        request.Ended();

        Assert.Equal([5], _log.Values("vllm_prompt_tokens_total", Model));
        Assert.Equal([1, 1, 1], _log.Values("vllm_generation_tokens_total", Model));
        Assert.Equal([0.010], _log.Values("vllm_time_to_first_token_seconds", Model));
        Assert.Equal([0.004], _log.Values("vllm_request_queue_time_seconds", Model));
        Assert.Equal([0.015, 0.020], _log.Values("vllm_inter_token_latency_seconds", Model).Select(v => Math.Round(v, 9)));
        Assert.Equal([0.045], _log.Values("vllm_e2e_request_latency_seconds", Model));
        Assert.Equal([1], _log.Values("vllm_request_success_total", Model, ("finished_reason", "length")));
        Assert.Empty(_log.Values("vllm_request_success_total", Model, ("finished_reason", "abort")));
    }

    [Fact]
    public void The_eos_marker_finishes_with_stop_and_is_not_a_generated_token()
    {
        var request = _metrics.Request("m", promptTokens: 2);
        request.Token(new ServedToken(7, 0, 3, null));
        request.Token(new ServedToken(-1, 1, 6, ServingFinishReason.Eos));
        request.Ended();

        Assert.Equal([1], _log.Values("vllm_generation_tokens_total", Model));
        Assert.Equal([1], _log.Values("vllm_request_success_total", Model, ("finished_reason", "stop")));
        Assert.Empty(_log.Values("vllm_inter_token_latency_seconds", Model));
    }

    [Fact]
    public void A_request_that_ends_without_a_finish_counts_as_aborted_once()
    {
        var request = _metrics.Request("m", promptTokens: 3);
        request.Token(new ServedToken(7, 0, 3, null));
        request.Ended();
        request.Ended();

        Assert.Equal([1], _log.Values("vllm_request_success_total", Model, ("finished_reason", "abort")));
        Assert.Empty(_log.Values("vllm_e2e_request_latency_seconds", Model));
    }

    [Fact]
    public void Gauges_sum_the_tracked_instances_per_model_and_forget_an_untracked_one()
    {
        using var a = _metrics.TrackInstance("m/0/0", "m", () => new InstanceStats(Waiting: 2, Running: 3, KvBlocksUsed: 10, KvBlocksTotal: 40, 0, 0));
        var b = _metrics.TrackInstance("m/1/0", "m", () => new InstanceStats(Waiting: 1, Running: 1, KvBlocksUsed: 30, KvBlocksTotal: 60, 0, 0));
        using var other = _metrics.TrackInstance("n/0/0", "n", () => new InstanceStats(5, 5, 5, 5, 0, 0));

        _log.Observe();
        Assert.Equal([4], _log.Values("vllm_num_requests_running", Model));
        Assert.Equal([3], _log.Values("vllm_num_requests_waiting", Model));
        Assert.Equal([0.4], _log.Values("vllm_kv_cache_usage_perc", Model));
        Assert.Equal([1.0], _log.Values("vllm_kv_cache_usage_perc", ("model_name", "n")));

        b.Dispose();
        _log.Clear();
        _log.Observe();
        Assert.Equal([3], _log.Values("vllm_num_requests_running", Model));
        Assert.Equal([0.25], _log.Values("vllm_kv_cache_usage_perc", Model));
    }

    public void Dispose()
    {
        _log.Dispose();
        _meter.Dispose();
    }
}
