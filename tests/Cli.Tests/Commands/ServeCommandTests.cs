using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using BlitzScale.Cli.Commands;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Silo;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary><c>blitz serve</c> in this process: ready once healthy, serving the model by its name, stopped by Ctrl+C (the token).</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public async Task Serve_deploys_the_model_answers_once_healthy_and_stops_when_cancelled()
    {
        using var dir = new TempDirectory();
        string model = dir.File("tiny");
        SyntheticModelWriter.Write(model, SyntheticShapes.Get("tiny"), DType.F32, 7);
        int port = FreePorts.Next();
        using var stop = new CancellationTokenSource();
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var output = new StringWriter();
        var serving = ServeCommand.Run(new ServeOptions(model, "served", port, ["sk-serve"], null, "blitzscale"), output, stop.Token, ready.SetResult);

        var url = await ready.Task.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(new Uri($"http://127.0.0.1:{port}/"), url);
        Assert.Contains($"serving model \"served\" at http://127.0.0.1:{port}/v1", output.ToString());
        using var http = new HttpClient { BaseAddress = url };
        using (var health = await http.GetAsync("health")) Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions")
        {
            Content = new StringContent("""{"model": "served", "prompt": "Hi", "max_tokens": 4, "temperature": 0, "ignore_eos": true}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-serve");
        using var completion = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, completion.StatusCode);
        var body = JsonNode.Parse(await completion.Content.ReadAsStringAsync())!;
        Assert.Equal(4, (int)body["usage"]!["completion_tokens"]!);

        await stop.CancelAsync();
        Assert.Equal(0, await serving.WaitAsync(TimeSpan.FromSeconds(60)));
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("health"));
    }
}
