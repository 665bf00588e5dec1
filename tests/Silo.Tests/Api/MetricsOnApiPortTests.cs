using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace BlitzScale.Silo.Tests.Api;

/// <summary>The silo's Prometheus page is also on the HTTP API's port, where vLLM serves it.</summary>
public sealed class MetricsOnApiPortTests(OpenApiSilo silo) : IClassFixture<OpenApiSilo>
{
    [Fact]
    public async Task The_api_port_serves_the_metrics_page_with_the_tokens_it_generated()
    {
        var body = new JsonObject { ["model"] = OpenApiSilo.TinyModel, ["prompt"] = "Once upon a time", ["max_tokens"] = 3, ["temperature"] = 0, ["ignore_eos"] = true };
        using var completion = await silo.Http.PostAsync("/v1/completions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, completion.StatusCode);

        using var response = await silo.Http.GetAsync("/metrics");
        string page = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var generated = page.Split('\n').Where(l => l.StartsWith("vllm:generation_tokens_total{", StringComparison.Ordinal)
            && l.Contains($"model_name=\"{OpenApiSilo.TinyModel}\"", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(generated);
        Assert.True(double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) >= 3, line);
        Assert.Contains("# TYPE vllm:time_to_first_token_seconds histogram", page, StringComparison.Ordinal);
    }
}
