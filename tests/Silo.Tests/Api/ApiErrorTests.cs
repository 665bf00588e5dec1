using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using BlitzScale.Silo.Api;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace BlitzScale.Silo.Tests.Api;

/// <summary>OpenAI's error objects with the right status, a client that goes away, and a silo that cannot serve.</summary>
public sealed class ApiErrorTests(OpenApiSilo silo) : IClassFixture<OpenApiSilo>
{
    private static void AssertError(HttpResponseMessage response, JsonNode? body, HttpStatusCode status, string? param, string message)
    {
        Assert.Equal(status, response.StatusCode);
        var error = body!["error"]!;
        Assert.Contains(message, (string)error["message"]!);
        Assert.Equal(param, (string?)error["param"]);
        Assert.NotNull((string?)error["type"]);
    }

    [Theory]
    [InlineData("""{"model": "tiny", "prompt": "Hi", "max_tokens": "ten"}""", "max_tokens", "max_tokens: expected an integer from 1 to 1048576, found the string \"ten\"")]
    [InlineData("""{"model": "tiny", "prompt": "Hi", "temperature": true}""", "temperature", "temperature: expected a number from 0 to 100, found the boolean true")]
    [InlineData("""{"model": "tiny", "prompt": "Hi", "n": 2}""", "n", "n: expected 1 (one choice per prompt is supported), found the number 2")]
    [InlineData("""{"model": "tiny", "prompt": "Hi", "stop": 3}""", "stop", "stop: expected a non-empty string or an array of non-empty strings, found the number 3")]
    [InlineData("""{"model": "tiny", "prompt": {"text": "Hi"}}""", "prompt", "prompt: expected a string, an array of strings")]
    [InlineData("""{"model": "tiny", "prompt": "Hi", "stream": "yes"}""", "stream", "stream: expected true or false, found the string \"yes\"")]
    [InlineData("""{"prompt": "Hi"}""", "model", "model: expected a non-blank string, found none")]
    [InlineData("""{"model": " ", "prompt": "Hi"}""", "model", "model: expected a non-blank string, found the string \" \"")]
    [InlineData("""{"model": "tiny", "prompt": "Hi",""", null, "body: expected a JSON object, found invalid JSON")]
    [InlineData("""[1, 2]""", null, "body: expected a JSON object, found an array")]
    [InlineData("""{"model": "tiny", "prompt": "Hi \ud800"}""", "prompt", "prompt: expected text (valid UTF-8, surrogates in pairs), found")]
    [InlineData("""{"model": "tiny", "prompt": "Hi", "stop": ["a", "\udc00"]}""", "stop[1]", "stop[1]: expected text (valid UTF-8, surrogates in pairs), found")]
    [InlineData("""{"model": "tiny", "prompt": "Hi", "a\ud800": 1}""", null, "body: expected field names that are text (valid UTF-8, surrogates in pairs), found")]
    [InlineData("""{"model": "tiny", "prompt": "Hi", "stream_options": {"\udc00": 1}}""", "stream_options", "stream_options: expected field names that are text")]
    public async Task A_field_of_the_wrong_type_is_a_400_naming_it_with_what_was_expected_and_found(string body, string? param, string message)
    {
        var (response, error) = await silo.PostAsync("/v1/completions", body);
        AssertError(response, error, HttpStatusCode.BadRequest, param, message);
        Assert.Equal("invalid_request_error", (string)error!["error"]!["type"]!);
    }

    [Fact]
    public async Task A_request_beyond_the_models_context_is_a_400_not_a_500()
    {
        var (response, error) = await silo.PostAsync("/v1/completions", """{"model": "tiny", "prompt": "Hi", "max_tokens": 5000}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", (string)error!["error"]!["type"]!);
    }

    [Fact]
    public async Task A_chat_message_with_an_unknown_role_is_a_400_naming_the_message()
    {
        var (response, error) = await silo.PostAsync("/v1/chat/completions", """{"model": "tiny", "messages": [{"role": "user", "content": "Hi"}, {"role": "robot", "content": "x"}]}""");
        AssertError(response, error, HttpStatusCode.BadRequest, "messages[1].role", "messages[1].role: expected one of system, user, assistant, developer, found \"robot\"");
    }

    [Theory]
    [InlineData("/v1/completions", """{"model": "nope", "prompt": "Hi"}""")]
    [InlineData("/v1/completions", """{"model": "nope", "prompt": "Hi", "stream": true}""")]
    [InlineData("/v1/chat/completions", """{"model": "nope", "messages": [{"role": "user", "content": "Hi"}]}""")]
    [InlineData("/tokenize", """{"model": "nope", "prompt": "Hi"}""")]
    public async Task An_unknown_model_is_a_404(string path, string body)
    {
        var (response, error) = await silo.PostAsync(path, body);
        AssertError(response, error, HttpStatusCode.NotFound, "model", "The model `nope` does not exist");
        Assert.Equal("model_not_found", (string)error!["error"]!["code"]!);
    }

    [Fact]
    public async Task An_error_after_the_stream_started_is_an_error_event_then_done()
    {
        // The second prompt's token is outside the vocabulary: the first choice has streamed by the time the grid refuses it.
        var request = new JsonObject
        {
            ["model"] = OpenApiSilo.TinyModel,
            ["prompt"] = new JsonArray("Hi", new JsonArray(1, 99999)),
            ["max_tokens"] = 3,
            ["ignore_eos"] = true,
            ["stream"] = true,
        };
        using var response = await silo.Http.PostAsync("/v1/completions", new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = ApiSilo.Events(await response.Content.ReadAsStringAsync());

        Assert.Equal("[DONE]", events[^1]);
        var error = JsonNode.Parse(events[^2])!["error"]!;
        Assert.Contains("99999", (string)error["message"]!);
        Assert.Equal("invalid_request_error", (string)error["type"]!);
        Assert.Equal("length", (string)JsonNode.Parse(events[^3])!["choices"]![0]!["finish_reason"]!);
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_cancels_its_generation_and_its_kv_blocks_come_back()
    {
        var request = new JsonObject
        {
            ["model"] = OpenApiSilo.LongModel,
            ["prompt"] = "Once",
            ["max_tokens"] = 8000,
            ["ignore_eos"] = true,
            ["stream"] = true,
        };
        using (var cancel = new CancellationTokenSource())
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json") };
            using var response = await silo.Http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var stream = await response.Content.ReadAsStreamAsync(cancel.Token);
            using var reader = new StreamReader(stream);
            Assert.StartsWith("data: ", await reader.ReadLineAsync(cancel.Token));

            var running = Assert.Single((await silo.Model(OpenApiSilo.LongModel).GetStatus()).Instances);
            Assert.True(running.KvBlocksUsed > 0, "a streaming generation holds no KV blocks");
            await cancel.CancelAsync();
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var instance = Assert.Single((await silo.Model(OpenApiSilo.LongModel).GetStatus()).Instances);
            if (instance.KvBlocksUsed == 0 && instance.Running == 0) break;
            Assert.True(DateTime.UtcNow < deadline, $"30 s after the client left, the instance still holds {instance.KvBlocksUsed} KV blocks");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Health_names_what_is_missing_when_the_host_is_not_registered()
    {
        var services = silo.Services;
        var health = new SiloHealth(services.GetRequiredService<IClusterMembershipService>(), services.GetRequiredService<ILocalSiloDetails>(),
            silo.Grains, "no-such-host");
        Assert.Equal("GPU host no-such-host is not registered with the cluster", await health.ProblemAsync(CancellationToken.None));
        var registered = new SiloHealth(services.GetRequiredService<IClusterMembershipService>(), services.GetRequiredService<ILocalSiloDetails>(),
            silo.Grains, "api-host");
        Assert.Null(await registered.ProblemAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Without_keys_the_api_listens_on_loopback_only()
    {
        Assert.Equal($"http://127.0.0.1:{silo.Port}", new SiloOptions { HttpPort = silo.Port }.ApiListenUrl);
        using var open = await silo.Http.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        if (ApiAddresses.NonLoopback() is { } address)
        {
            using var tcp = new TcpClient();
            await Assert.ThrowsAnyAsync<SocketException>(() => tcp.ConnectAsync(address, silo.Port));
        }
    }
}

/// <summary>An address of this machine other than loopback, to check what the API listens on.</summary>
internal static class ApiAddresses
{
    public static IPAddress? NonLoopback() => NetworkInterface.GetAllNetworkInterfaces()
        .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
        .SelectMany(n => n.GetIPProperties().UnicastAddresses)
        .Select(a => a.Address)
        .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
}
