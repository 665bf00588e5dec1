using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace BlitzScale.Silo.Tests.Api;

/// <summary>API keys, and the admission queue's refusal, on a silo with keys whose model stays loading.</summary>
public sealed class ApiKeyTests(KeyedApiSilo silo) : IClassFixture<KeyedApiSilo>
{
    [Theory]
    [InlineData(null)]
    [InlineData("sk-wrong")]
    [InlineData("sk-first-key-and-more")]
    public async Task A_request_without_a_configured_key_is_a_401(string? key)
    {
        var (response, error) = await silo.PostAsync("/v1/completions", """{"model": "loading", "prompt": "Hi"}""", key);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_api_key", (string)error!["error"]!["code"]!);
        Assert.Equal("authentication_error", (string)error["error"]!["type"]!);
    }

    [Theory]
    [InlineData(KeyedApiSilo.Key1)]
    [InlineData(KeyedApiSilo.Key2)]
    public async Task Each_configured_key_is_accepted(string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await silo.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(KeyedApiSilo.LoadingModel, (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]![0]!["id"]!);
    }

    [Fact]
    public async Task Health_needs_no_key_and_with_keys_the_api_listens_beyond_loopback()
    {
        using var health = await silo.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal($"http://0.0.0.0:{silo.Port}", new SiloOptions { HttpPort = silo.Port, ApiKeys = ["k"] }.ApiListenUrl);
        if (ApiAddresses.NonLoopback() is { } address)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(address, silo.Port);
            Assert.True(tcp.Connected);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_full_admission_queue_is_a_429_with_retry_after_and_the_limit(bool stream)
    {
        var (response, error) = await silo.PostAsync("/v1/completions",
            new JsonObject { ["model"] = KeyedApiSilo.LoadingModel, ["prompt"] = "Hi", ["stream"] = stream }, KeyedApiSilo.Key1);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter!.Delta);
        Assert.Equal("queue_full", (string)error!["error"]!["code"]!);
        Assert.Contains("the admission queue is full (0 request(s) already wait", (string)error["error"]!["message"]!);
    }
}
