using System.Text.Json;
using BlitzScale.Grains.Hosting;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>
/// Every output of a timed run says it is emulated: <c>blitz generate</c> (text and <c>--json</c>) and <c>blitz status</c>
/// (table and <c>--json</c>) against a silo whose GPU is on the timed backend. The cpu side is checked where the embedded
/// grid generates (<see cref="GenerateCommandTests"/>).
/// </summary>
public sealed class EmulatedOutputTests(CliFixture fixture) : IClassFixture<CliFixture>, IAsyncLifetime
{
    private const string Profile = """
        {"device": "Test GPU"}
        {"model": "cli-test", "layer_bytes_bf16": 1000, "n_layers": 4, "prefill_T16_ms": 0.2, "decode_B1_ctx1024_ms": 0.1, "decode_B8_ctx1024_ms": 0.2}
        """;

    private readonly TempDirectory _dir = new();
    private LocalSilo? _silo;
    private string _cluster = "";
    private string _profile = "";

    public async Task InitializeAsync()
    {
        _profile = _dir.File("costs.jsonl");
        await File.WriteAllTextAsync(_profile, Profile);
        _silo = await LocalSilo.StartAsync(new GpuHostOptions
        {
            Host = "timed-host", Gpus = 1, GpuMemoryGiB = 1, Backend = GpuHostOptions.TimedBackend,
            CostProfile = _profile, CostModel = "cli-test", TimeDilation = 3,
        });
        _cluster = _silo.Cluster;
    }

    [Fact]
    public async Task Generate_says_the_tokens_are_pseudo_tokens_of_an_emulated_gpu_in_text_and_json()
    {
        var json = await BlitzProcess.Run(fixture.Cache, "generate", "--cluster", _cluster, "--prompt", "hello", "--max-tokens", "6", "--json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        var report = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.True(report.GetProperty("emulated").GetBoolean());
        Assert.Equal(6, report.GetProperty("output_ids").GetArrayLength());
        Assert.Contains("emulated GPU (timed backend): these are pseudo-tokens", json.Stderr);

        var text = await BlitzProcess.Run(fixture.Cache, "generate", "--cluster", _cluster, "--prompt", "hello", "--max-tokens", "6");
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.StartsWith("hello", text.Stdout);
        Assert.Contains("6 tokens", text.Stderr);
        Assert.Contains("emulated GPU (timed backend): these are pseudo-tokens", text.Stderr);
    }

    [Fact]
    public async Task Status_marks_the_gpu_as_emulated_with_its_profile_and_dilation_in_the_table_and_json()
    {
        string described = $"timed (emulated): profile cli-test from {_profile}, dilation 3";

        var json = await BlitzProcess.Run(fixture.Cache, "status", "--cluster", _cluster, "--json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        var gpu = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("hosts")[0].GetProperty("gpus")[0];
        Assert.Equal("timed-host/gpu0", gpu.GetProperty("key").GetString());
        Assert.Equal("timed", gpu.GetProperty("backend").GetString());
        Assert.True(gpu.GetProperty("emulated").GetBoolean());
        Assert.Equal(described, gpu.GetProperty("backend_description").GetString());

        var table = await BlitzProcess.Run(fixture.Cache, "status", "--cluster", _cluster);
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains("timed (emulated)", table.Stdout);
        Assert.Contains($"emulated GPUs timed-host/gpu0: {described}; their tokens are pseudo-tokens", table.Stdout);
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null) await _silo.DisposeAsync();
        _dir.Dispose();
    }
}
