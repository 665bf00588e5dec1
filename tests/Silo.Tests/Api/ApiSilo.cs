using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace BlitzScale.Silo.Tests.Api;

/// <summary>A real silo with its HTTP API on a free port, the synthetic models it serves, and an HttpClient for it.</summary>
public abstract class ApiSilo : IAsyncLifetime
{
    public const ulong Seed = 20250611;
    private readonly TempDirectory _dir = new();
    private WebApplication? _silo;

    public int Port { get; } = FreePorts.Next();
    public HttpClient Http { get; private set; } = null!;
    public IGrainFactory Grains => _silo!.Services.GetRequiredService<IGrainFactory>();
    public IServiceProvider Services => _silo!.Services;
    public IModelGrain Model(string name) => Grains.GetGrain<IModelGrain>(name);

    /// <summary>The synthetic "tiny" model's directory (context 1024).</summary>
    public string Tiny => _dir.File("tiny");

    protected abstract SiloOptions Options(int siloPort, int gatewayPort);
    protected virtual void ConfigureHost(GpuHostOptions host)
    {
    }
    protected abstract Task DeployAsync();

    public async Task InitializeAsync()
    {
        SyntheticModelWriter.Write(Tiny, SyntheticShapes.Get("tiny"), DType.F32, Seed);
        int siloPort = FreePorts.Next(), gatewayPort = FreePorts.Next();
        var host = new GpuHostOptions { Host = "api-host", Gpus = 2, GpuMemoryGiB = 2 };
        ConfigureHost(host);
        _silo = BlitzSilo.Build(Options(siloPort, gatewayPort), host);
        await _silo.StartAsync();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(60) };
        await DeployAsync();
    }

    public string ScratchPath(string name) => _dir.File(name);

    public async Task WaitUntilServing(string model)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!(await Model(model).GetStatus()).Instances.All(i => i.State == InstanceState.Serving))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{model} does not serve after 60 s");
            await Task.Delay(20);
        }
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_silo is not null)
        {
            await _silo.StopAsync();
            await _silo.DisposeAsync();
        }
        _dir.Dispose();
    }

    /// <summary>POSTs <paramref name="body"/> as JSON, with <paramref name="key"/> as bearer when given.</summary>
    public async Task<(HttpResponseMessage Response, JsonNode? Body)> PostAsync(string path, string body, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var response = await Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public Task<(HttpResponseMessage Response, JsonNode? Body)> PostAsync(string path, JsonObject body, string? key = null) =>
        PostAsync(path, body.ToJsonString(), key);

    /// <summary>The <c>data:</c> payloads of a whole event stream, checking each event's framing.</summary>
    public static IReadOnlyList<string> Events(string stream)
    {
        var events = stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("\n\n", stream);
        return [.. events.Select(e =>
        {
            Assert.StartsWith("data: ", e);
            return e["data: ".Length..];
        })];
    }

    public static JsonDocument Parse(string json) => JsonDocument.Parse(json);
}

/// <summary>The API without keys (loopback only) and "tiny" (two instances) and "long" (context 8192) deployed.</summary>
public sealed class OpenApiSilo : ApiSilo
{
    public const string TinyModel = "tiny";
    public const string LongModel = "long";
    public const int LongContext = 8192;

    protected override SiloOptions Options(int siloPort, int gatewayPort) =>
        new() { SiloPort = siloPort, PrimarySiloPort = siloPort, GatewayPort = gatewayPort, Dashboard = false, HttpPort = Port };

    protected override async Task DeployAsync()
    {
        await Model(TinyModel).Deploy(new DeployRequest { ModelDirectory = Tiny, Gpus = ["api-host/gpu0"] });
        string longModel = ScratchPath("tiny-long");
        SyntheticModelWriter.Write(longModel, SyntheticShapes.Get("tiny") with { MaxPositionEmbeddings = LongContext }, DType.F32, Seed);
        await Model(LongModel).Deploy(new DeployRequest { ModelDirectory = longModel, Gpus = ["api-host/gpu1"], KvBlocks = LongContext / 16 });
        await WaitUntilServing(TinyModel);
        await WaitUntilServing(LongModel);
    }
}

/// <summary>
/// The API with two keys (so on every interface), storage slow enough that "loading" stays loading, and its
/// admission queue of 0: every request to it is refused as the queue is full.
/// </summary>
public sealed class KeyedApiSilo : ApiSilo
{
    public const string Key1 = "sk-first-key";
    public const string Key2 = "sk-second-key";
    public const string LoadingModel = "loading";

    protected override SiloOptions Options(int siloPort, int gatewayPort) =>
        new() { SiloPort = siloPort, PrimarySiloPort = siloPort, GatewayPort = gatewayPort, Dashboard = false, HttpPort = Port, ApiKeys = [Key1, Key2] };

    protected override void ConfigureHost(GpuHostOptions host) => host.StorageMBps = 0.05;

    protected override Task DeployAsync() =>
        Model(LoadingModel).Deploy(new DeployRequest { ModelDirectory = Tiny, MaxQueuedRequests = 0 });
}
