using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace BlitzScale.Silo.Tests.Metrics;

// Alone, after the parallel tests: OpenTelemetry listens to meters by name process-wide, and other silos of this test
// process starting and stopping beside it left its page empty for seconds at a time.
[Collection(MetricsCollection.Name)]
/// <summary>
/// A real silo with its web host serves <c>/metrics</c>: vLLM's names, types and <c>model_name</c>, values that agree
/// with what the grid did (tokens generated, requests, loads, transfers), and the grid's own metrics.
/// </summary>
public sealed class MetricsEndpointTests
{
    private const string Host = "metrics-host";
    // A name no other test's silo serves: silos of this test process share the meter's name, so a page also shows
    // the other silos' series (see docs/architecture.md), and this test reads its own by the model_name label.
    private const string Model = "metrics-tiny";
    private const int Requests = 3;
    private const int MaxTokens = 6;
    // Storage paced so that the first instance's load takes about this long: long enough to see it loading.
    private const double FirstLoadSeconds = 5;

    private static readonly Dictionary<string, string> VllmTypes = new(StringComparer.Ordinal)
    {
        ["vllm:num_requests_running"] = "gauge",
        ["vllm:num_requests_waiting"] = "gauge",
        ["vllm:kv_cache_usage_perc"] = "gauge",
        ["vllm:prompt_tokens_total"] = "counter",
        ["vllm:generation_tokens_total"] = "counter",
        ["vllm:request_success_total"] = "counter",
        ["vllm:time_to_first_token_seconds"] = "histogram",
        ["vllm:inter_token_latency_seconds"] = "histogram",
        ["vllm:e2e_request_latency_seconds"] = "histogram",
        ["vllm:request_queue_time_seconds"] = "histogram",
    };

    [Fact]
    public async Task The_metrics_page_counts_what_the_grid_loaded_and_generated_in_vllm_names()
    {
        using var dir = new TempDirectory();
        string modelDir = dir.File(Model);
        SyntheticModelWriter.Write(modelDir, SyntheticShapes.Get("tiny"), DType.F32, 20250611);
        long modelBytes;
        using (var files = ModelDirectory.Open(modelDir)) modelBytes = files.Layout.TotalBytes;

        int siloPort = FreePorts.Next(), gatewayPort = FreePorts.Next(), webPort = FreePorts.Next();
        // The page on the HTTP API's port, where vLLM serves it (beside the dashboard it is the same mapping).
        var options = new SiloOptions { SiloPort = siloPort, GatewayPort = gatewayPort, PrimarySiloPort = siloPort, Dashboard = false, HttpPort = webPort };
        var host = new GpuHostOptions { Host = Host, Gpus = 2, GpuMemoryGiB = 2, StorageMBps = modelBytes / FirstLoadSeconds / 1e6 };
        await using var app = BlitzSilo.Build(options, host);
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{webPort}") };
            var grains = app.Services.GetRequiredService<IGrainFactory>();
            var model = grains.GetGrain<IModelGrain>(Model);

            // One instance, loading from storage (through the host copy) at the paced rate: its layers show while it loads.
            await model.Deploy(new DeployRequest { ModelDirectory = modelDir, Instances = 1 });
            var loading = await Scrape(http);
            double layers = loading.Value("blitzscale_layers_loaded", ("model_name", Model), ("instance", $"{Model}/0/0"));
            Assert.InRange(layers, 0, 3);
            Assert.Equal("gauge", loading.Types["blitzscale_layers_loaded"]);

            // A second instance, fed by the first one's GPU.
            await WaitUntilServing(model, 1);
            await model.Scale(new ScaleRequest { Instances = 2 });
            var status = await WaitUntilServing(model, 2);

            int promptTokens = 0, generated = 0;
            for (int r = 0; r < Requests; r++)
            {
                int[] prompt = [1, 10 + r, 20 + r, 30 + r];
                promptTokens += prompt.Length;
                await foreach (var update in grains.GenerateAsync(Model, new GenerateRequest { PromptIds = prompt, MaxTokens = MaxTokens, StopAtEos = false }))
                    if (update.TokenId >= 0 && update.PromptIds is null) generated++;
            }
            Assert.Equal(Requests * MaxTokens, generated);

            // Events reach the model grain through its stream: wait for both instances' Serving events to be counted.
            var page = await ScrapeUntil(http, p => p.Find("blitzscale_scale_events_total", ("model_name", Model), ("reason", "serving")).Sum(s => s.Value) >= 2);

            foreach (var (name, type) in VllmTypes)
            {
                Assert.True(page.Types.TryGetValue(name, out var declared), $"{name} is not on the page");
                Assert.Equal(type, declared);
                Assert.Contains(page.Samples, s => s.Name.StartsWith(name, StringComparison.Ordinal) && s.Labels.GetValueOrDefault("model_name") == Model);
            }
            var tiny = ("model_name", Model);
            Assert.Equal(generated, page.Value("vllm:generation_tokens_total", tiny));
            Assert.Equal(promptTokens, page.Value("vllm:prompt_tokens_total", tiny));
            Assert.Equal(Requests, page.Value("vllm:request_success_total", tiny, ("finished_reason", "length")));
            Assert.Equal(Requests, page.Value("vllm:time_to_first_token_seconds_count", tiny));
            Assert.Equal(Requests, page.Value("vllm:e2e_request_latency_seconds_count", tiny));
            Assert.Equal(Requests, page.Value("vllm:request_queue_time_seconds_count", tiny));
            Assert.Equal(generated - Requests, page.Value("vllm:inter_token_latency_seconds_count", tiny));
            // vLLM's buckets: TTFT's first bound is 1 ms, the request latencies' 0.3 s; every count lands in +Inf.
            Assert.Contains(page.Find("vllm:time_to_first_token_seconds_bucket", tiny), s => s.Labels["le"] == "0.001");
            Assert.Contains(page.Find("vllm:e2e_request_latency_seconds_bucket", tiny), s => s.Labels["le"] == "0.3");
            Assert.Equal(Requests, page.Value("vllm:e2e_request_latency_seconds_bucket", tiny, ("le", "+Inf")));
            Assert.InRange(page.Value("vllm:e2e_request_latency_seconds_sum", tiny), page.Value("vllm:time_to_first_token_seconds_sum", tiny), 600);
            // Every request has finished: nothing runs, nothing waits, no KV block is held.
            Assert.Equal(0, page.Value("vllm:num_requests_running", tiny));
            Assert.Equal(0, page.Value("vllm:num_requests_waiting", tiny));
            Assert.Equal(0, page.Value("vllm:kv_cache_usage_perc", tiny));

            // The grid's own.
            Assert.Equal("gauge", page.Types["blitzscale_instances"]);
            Assert.Equal(2, page.Value("blitzscale_instances", tiny, ("state", "serving")));
            Assert.Equal(0, page.Value("blitzscale_instances", tiny, ("state", "loading")));
            Assert.Empty(page.Find("blitzscale_layers_loaded", tiny));
            Assert.Equal("counter", page.Types["blitzscale_transfer_bytes_total"]);
            var transfers = page.Find("blitzscale_transfer_bytes_total", tiny).ToList();
            Assert.Equal(status.Instances.Sum(i => i.LoadedBytes), transfers.Sum(s => s.Value));
            Assert.Equal(2 * modelBytes, transfers.Sum(s => s.Value));
            Assert.Equal(modelBytes, transfers.Where(s => s.Labels["source"] == "gpu").Sum(s => s.Value));
            Assert.Equal("histogram", page.Types["blitzscale_load_seconds"]);
            Assert.Equal(2, page.Value("blitzscale_load_seconds_count", tiny));
            Assert.InRange(page.Value("blitzscale_load_seconds_sum", tiny), double.Epsilon, 600);
            Assert.Equal("counter", page.Types["blitzscale_scale_events_total"]);
            Assert.Equal(2, page.Value("blitzscale_scale_events_total", tiny, ("reason", "serving")));
            Assert.True(page.Value("blitzscale_scale_events_total", tiny, ("reason", "planned")) >= 2);
            Assert.Equal("gauge", page.Types["blitzscale_host_cache_bytes"]);
            Assert.Equal(modelBytes, page.Value("blitzscale_host_cache_bytes", ("host", Host)));

            // Undeployed: the host copy is dropped and the instances are gone.
            await model.Undeploy();
            var after = await Scrape(http);
            Assert.Equal(0, after.Find("blitzscale_host_cache_bytes", ("host", Host)).Sum(s => s.Value));
            Assert.Empty(after.Find("vllm:num_requests_running", tiny));
            Assert.Equal(0, after.Find("blitzscale_instances", tiny).Sum(s => s.Value));
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static async Task<PrometheusText> Scrape(HttpClient http)
    {
        using var response = await http.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        string body = await response.Content.ReadAsStringAsync();
        // An empty page (no series at that moment) comes without a content type; a page with series is Prometheus text.
        if (body.Length > 0) Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return PrometheusText.Parse(body);
    }

    private static async Task<PrometheusText> ScrapeUntil(HttpClient http, Func<PrometheusText, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var page = await Scrape(http);
            if (done(page)) return page;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the metrics page did not reach the expected state in 30 s");
            await Task.Delay(20);
        }
    }

    private static async Task<ModelStatus> WaitUntilServing(IModelGrain model, int instances)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var status = await model.GetStatus();
            if (status.Instances.Count == instances && status.Instances.All(i => i.State == InstanceState.Serving)) return status;
            if (status.Instances.FirstOrDefault(i => i.State == InstanceState.Failed) is { } failed)
                throw new InvalidOperationException($"{failed.Shard} failed: {failed.Error}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not {instances} serving instance(s) after 60 s");
            await Task.Delay(20);
        }
    }
}

/// <summary>Tests that read a silo's /metrics page run alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics page";
}
