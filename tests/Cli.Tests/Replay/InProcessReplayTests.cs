using System.Text.Json;
using BlitzScale.Cli.Commands;
using BlitzScale.Cli.Replay;
using BlitzScale.Cli.Tests.Commands;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Replay;

/// <summary>
/// A short slice of the Azure code trace replayed open loop against an in-process grid on the timed backend (one silo, two
/// emulated GPUs, stories260K on one): the report's numbers are recomputed here from the request log and the samples, and
/// <c>blitz replay</c> itself runs against the same grid.
/// </summary>
public sealed class InProcessReplayTests(CliFixture fixture) : IClassFixture<CliFixture>, IAsyncLifetime
{
    private const string Model = "replay-test";
    private const string Host = "replay-host";
    // Cheap steps, so one instance keeps up with the slice and the test is short; dilation 1.
    private const string Profile = """
        {"device": "Test GPU"}
        {"model": "replay-test", "layer_bytes_bf16": 1000, "n_layers": 5, "prefill_T16_ms": 0.2, "prefill_T256_ms": 0.6, "decode_B1_ctx1024_ms": 0.1, "decode_B8_ctx1024_ms": 0.2}
        """;
    private static readonly string[] TraceParts = ["traces", "azure2023", "AzureLLMInferenceTrace_code.csv"];

    private readonly TempDirectory _dir = new();
    private LocalSilo? _silo;
    private string _cluster = "";

    public async Task InitializeAsync()
    {
        if (RepositoryPaths.Shared(TraceParts) is null) return;
        string profile = _dir.File("costs.jsonl");
        await File.WriteAllTextAsync(profile, Profile);
        _silo = await LocalSilo.StartAsync(new GpuHostOptions
        {
            Host = Host, Gpus = 2, GpuMemoryGiB = 1, Backend = GpuHostOptions.TimedBackend, CostProfile = profile, CostModel = "replay-test", TimeDilation = 1,
        });
        _cluster = _silo.Cluster;
        await using var grid = await GridSession.Open(_cluster, GridSession.DefaultClusterId, CancellationToken.None);
        await grid.Client.DeployAsync(Model, new DeployRequest { ModelDirectory = RepositoryPaths.ShippedStories260K, Instances = 1, Gpus = [$"{Host}/gpu0"] });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await grid.Client.StatusAsync()).Models.Single(m => m.Model == Model).Instances.Any(i => i.State != InstanceState.Serving))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{Model}: not serving after 60 s");
            await Task.Delay(20);
        }
    }

    // 20 s of the trace's most bursty stretch, played 5 × faster; prompts and outputs capped for stories260K's 512 positions.
    private static ReplayPlanOptions Slice(string trace) => new(trace, null, null, 20, Bursty: true, TimeScale: 0.2, Rate: null,
        MaxPromptTokens: 256, MaxOutputTokens: 16, TokenScale: 1);

    [SkippableFact]
    public async Task The_report_of_a_replayed_trace_slice_agrees_with_its_request_log()
    {
        Skip.If(RepositoryPaths.Shared(TraceParts) is null, RepositoryPaths.Missing(TraceParts));
        var plan = ReplayPlan.Build(Slice(RepositoryPaths.Shared(TraceParts)!), 512);
        var slo = new ReplaySlo(1000, 200);
        await using var grid = await GridSession.Open(_cluster, GridSession.DefaultClusterId, CancellationToken.None);

        var result = await new Replayer(grid.Client, TimeProvider.System, 512, 1)
            .Run(Model, plan.Schedule, slo, TimeSpan.FromSeconds(60), new ReplayResult { ModelName = Model }, null, CancellationToken.None);

        var log = result.Log!;
        var figures = result.Figures!;
        Assert.True(plan.Schedule.Arrivals.Count >= 10, $"only {plan.Schedule.Arrivals.Count} requests in the slice");
        Assert.Equal(plan.Schedule.Arrivals.Count, log.Count);
        Assert.Equal(0, figures.Lost);
        Assert.Equal(0, figures.Failed);
        Assert.All(log, r => Assert.True(r.Outcome == ReplayOutcome.Ok, $"request {r.Index}: {r.Error}"));
        // Open loop, EOS ignored: each request got exactly its output count and was sent at its time, not after the one before ended.
        Assert.All(log, r => Assert.Equal(plan.Schedule.Arrivals[r.Index].OutputTokens, r.TokenTimesS.Count));
        Assert.All(log, r => Assert.Equal(plan.Schedule.Arrivals[r.Index].AtSeconds, r.ArrivalS));
        Assert.All(log, r => Assert.Equal($"{Host}/gpu0", r.Gpu));

        double[] ttftMs = [.. log.Select(r => (r.TokenTimesS[0] - r.ArrivalS) * 1e3).Order()];
        Assert.Equal(Math.Round(ttftMs[(int)Math.Ceiling(0.99 * ttftMs.Length) - 1], 3), figures.TtftMs!.P99);
        Assert.Equal(Math.Round(ttftMs[(int)Math.Ceiling(0.50 * ttftMs.Length) - 1], 3), figures.TtftMs.P50);
        double[] gaps = [.. log.SelectMany(r => r.TokenTimesS.Zip(r.TokenTimesS.Skip(1), (a, b) => (b - a) * 1e3)).Order()];
        Assert.Equal(gaps.Length, figures.TbtMs!.Count);
        Assert.Equal(Math.Round(gaps[(int)Math.Ceiling(0.90 * gaps.Length) - 1], 3), figures.TbtMs.P90);
        int attained = log.Count(r => (r.TokenTimesS[0] - r.ArrivalS) * 1e3 <= 1000
            && (r.TokenTimesS.Count < 2 || (r.TokenTimesS[^1] - r.TokenTimesS[0]) / (r.TokenTimesS.Count - 1) * 1e3 <= 200));
        Assert.Equal(Math.Round(attained / (double)log.Count, 4), figures.SloAttainment);
        Assert.Equal(log.Count, figures.ServedBy.Values.Sum());

        // One instance on one GPU throughout: the GPU-seconds are the sampled span, and the samples ran across the replay.
        var samples = result.Samples!;
        Assert.All(samples, s => Assert.Equal(1, s.GpusHolding));
        Assert.All(samples, s => Assert.Equal(1, s.Instances["Serving"]));
        Assert.Empty(result.Loads);
        Assert.Equal(Math.Round(samples[^1].AtS - samples[0].AtS, 3), figures.GpuSeconds, 2);
        Assert.True(samples[^1].AtS >= log.Max(r => r.EndS), "the last sample precedes the last request's end");
        Assert.True(samples[^1].AtS >= plan.Schedule.DurationSeconds,
            $"the window's quiet tail was not played: the last sample at {samples[^1].AtS} s of {plan.Schedule.DurationSeconds} s, {result.FailedSamples} failed read(s), the last request ending at {log.Max(r => r.EndS)} s");
        Assert.True(samples.Count >= plan.Schedule.DurationSeconds / ClusterSampler.Interval.TotalSeconds / 2, $"{samples.Count} samples");
    }

    [SkippableFact]
    public async Task Blitz_replay_prints_the_report_and_writes_the_json_and_the_plot()
    {
        Skip.If(RepositoryPaths.Shared(TraceParts) is null, RepositoryPaths.Missing(TraceParts));
        string json = _dir.File("replay.json"), png = _dir.File("replay.png");

        var run = await BlitzProcess.Run(fixture.Cache, "replay", "--cluster", _cluster, "--model", Model, "--trace", RepositoryPaths.Shared(TraceParts)!,
            "--window", "bursty", "--duration", "10", "--time-scale", "0.2", "--max-output-tokens", "8", "--json", json, "--plot", png);

        Assert.True(run.ExitCode == 0, run.Stderr);
        var report = JsonDocument.Parse(run.Stdout).RootElement;
        var figures = report.GetProperty("run").GetProperty("figures");
        Assert.Equal(0, figures.GetProperty("lost").GetInt32());
        Assert.Equal(report.GetProperty("setting").GetProperty("requests").GetInt32(), figures.GetProperty("ok").GetInt32());
        Assert.Contains("highest peak-to-mean", report.GetProperty("setting").GetProperty("window").GetProperty("chosen").GetString());
        Assert.Contains("timed (emulated)", report.GetProperty("backends")[0].GetString());
        Assert.False(report.GetProperty("run").TryGetProperty("log", out _));
        var written = JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement.GetProperty("run");
        Assert.Equal(figures.GetProperty("requests").GetInt32(), written.GetProperty("log").GetArrayLength());
        Assert.True(written.GetProperty("samples").GetArrayLength() > 0);
        Assert.Equal(0x89, File.ReadAllBytes(png)[0]);
    }

    [SkippableFact]
    public async Task Blitz_replay_names_a_bad_format_or_an_undeployed_model_with_exit_code_2()
    {
        Skip.If(RepositoryPaths.Shared(TraceParts) is null, RepositoryPaths.Missing(TraceParts));
        string trace = RepositoryPaths.Shared(TraceParts)!;

        var format = await BlitzProcess.Run(fixture.Cache, "replay", "--cluster", _cluster, "--model", Model, "--trace", trace, "--format", "mooncake");
        var model = await BlitzProcess.Run(fixture.Cache, "replay", "--cluster", _cluster, "--model", "nope", "--trace", trace);

        Assert.Equal(2, format.ExitCode);
        Assert.Contains($"{trace}:1: column (record): expected a JSON object", format.Stderr);
        Assert.Equal(2, model.ExitCode);
        Assert.Contains("--model nope: not deployed", model.Stderr);
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null) await _silo.DisposeAsync();
        _dir.Dispose();
    }
}
