using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Native.Engine;
using BlitzScale.Silo;
using BlitzScale.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SiloOptions = BlitzScale.Silo.SiloOptions;

namespace BlitzScale.Client.Tests.Library;

/// <summary>
/// The client library as a .NET service uses it: its own Orleans client host with <c>AddBlitzScaleClient()</c>,
/// connected to a silo, deploying, generating (whole and streaming), cancelling and reading status.
/// </summary>
public sealed class BlitzScaleClientTests : IAsyncLifetime
{
    private IHost? _silo;
    private IHost? _service;

    private BlitzScaleClient Client => _service!.Services.GetRequiredService<BlitzScaleClient>();

    public async Task InitializeAsync()
    {
        int siloPort = Silo.FreePorts.Next(), gatewayPort = Silo.FreePorts.Next();
        _silo = BlitzSilo.Build(new SiloOptions { SiloPort = siloPort, PrimarySiloPort = siloPort, GatewayPort = gatewayPort, Dashboard = false, Api = false },
            new GpuHostOptions { Host = "lib-host", Gpus = 1, GpuMemoryGiB = 1 });
        await _silo.StartAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort, SiloOptions.DefaultClusterId, SiloOptions.DefaultClusterId).AddBlitzScaleClient());
        _service = builder.Build();
        await _service.StartAsync();
    }

    [Fact]
    public async Task DeployGenerateStreamCancelStatusUndeploy()
    {
        // The copy the repository ships, so this runs on a bare clone too.
        string model = RepositoryPaths.ShippedStories260K;
        var golden = GoldenCase.Load(Path.Combine(model, "goldens.jsonl"))[0];
        var deployed = await Client.DeployAsync("stories", new DeployRequest { ModelDirectory = model });
        Assert.Equal("lib-host/gpu0", Assert.Single(deployed.Instances).Gpu);

        var whole = await Client.GenerateAsync("stories", new GenerateRequest { Prompt = golden.Prompt, MaxTokens = golden.Ids.Length - golden.PromptIds.Length, StopAtEos = false });
        Assert.Equal(golden.PromptIds, whole.PromptIds);
        Assert.Equal(golden.Ids[golden.PromptIds.Length..], whole.OutputIds);
        Assert.Equal("length", whole.FinishReason);
        Assert.Equal("stories/0/0", whole.Instance);
        Assert.False(whole.Emulated);
        Assert.True(whole.TtftMs > 0);

        using var cancel = new CancellationTokenSource();
        int tokens = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in Client.GenerateStreamingAsync("stories", new GenerateRequest { Prompt = "Zoo", MaxTokens = 400 }, cancel.Token))
            {
                if (update.TokenId >= 0 && ++tokens == 3) await cancel.CancelAsync();
            }
        });
        Assert.InRange(tokens, 3, 399);

        var status = await Client.StatusAsync();
        Assert.Equal("lib-host", Assert.Single(status.Hosts).Host.Host);
        Assert.Equal("stories", Assert.Single(status.Models).Model);

        await Client.UndeployAsync("stories");
        var after = await Client.StatusAsync();
        Assert.Empty(after.Models);
        Assert.Equal(0, after.Hosts[0].Gpus[0].MemoryUsedBytes);
    }

    [Fact]
    public async Task AnUnknownModelIsAKeyNotFoundError()
    {
        var error = await Assert.ThrowsAsync<KeyNotFoundException>(() => Client.GenerateAsync("nope", new GenerateRequest { Prompt = "x" }));
        Assert.Contains("model \"nope\" is not deployed", error.Message);
    }

    [Fact]
    public async Task Status_shows_a_host_that_does_not_answer_as_unreachable_and_the_rest_in_full()
    {
        await Client.DeployAsync("stories", new DeployRequest { ModelDirectory = RepositoryPaths.ShippedStories260K });
        // Deploy returns once the load starts; a request is served only once the instance serves (it waits at the model until then).
        await Client.GenerateAsync("stories", new GenerateRequest { Prompt = "Zoo", MaxTokens = 1 });
        // A host whose silo is gone but still registered (not yet declared dead): nothing can be placed on it.
        var grains = _service!.Services.GetRequiredService<IClusterClient>();
        await grains.GetGrain<ITopologyGrain>(GrainKeys.Cluster).RegisterHost(
            new HostInfo("gone-host", 2, "cpu", 1L << 30, "nvlink-gone", 10, "leaf-0", "S127.0.0.1:1:1", null));

        var status = await Client.StatusAsync();

        var gone = status.Hosts.Single(h => h.Host.Host == "gone-host");
        Assert.Empty(gone.Gpus);
        Assert.Contains("host \"gone-host\" has no active silo", gone.Unreachable);
        var up = status.Hosts.Single(h => h.Host.Host == "lib-host");
        Assert.Null(up.Unreachable);
        Assert.Equal("lib-host/gpu0", Assert.Single(up.Gpus).Key);
        Assert.Equal(InstanceState.Serving, Assert.Single(Assert.Single(status.Models).Instances).State);
        Assert.Equal(["lib-host"], status.HostMemory.Select(m => m.Host));
        Assert.Empty(status.Unanswered);
        // The model alone, asked of its grain: the same instance, and no host is asked.
        Assert.Equal("stories/0/0", Assert.Single((await Client.GetModelStatusAsync("stories")).Instances).Shard);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Client.GetModelStatusAsync("nope"));
    }

    public async Task DisposeAsync()
    {
        if (_service is not null) { await _service.StopAsync(); _service.Dispose(); }
        if (_silo is not null) { await _silo.StopAsync(); _silo.Dispose(); }
    }
}
