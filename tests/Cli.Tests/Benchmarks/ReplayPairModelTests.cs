using System.Text.Json;
using BlitzScale.Cli.Benchmarks;
using BlitzScale.Cli.Commands;
using BlitzScale.Cli.Replay;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>The replay's fluid model of ideal pairs against allcache, on runs worked out by hand.</summary>
public sealed class ReplayPairModelTests
{
    // The model integrates on a 1 ms grid: a request's end falls on the step at or after its exact end.
    private const double GridMs = 5;

    [Fact]
    public void Without_loads_an_instance_serves_the_burst_first_come_first_served_weighted_by_prompt()
    {
        // Ten unloaded requests (100 ms each), then at 100 s a burst of 100-, 100-, 200- and 100-token prompts on one instance of
        // 1 request/s of the mean prompt (1,500 tokens over fourteen requests).
        var run = Run([], 100, 100, 200, 100);
        double work(int prompt) => prompt / (1500 / 14.0);

        var figures = ReplayPairModel.Of(run, Run([], 100, 100, 200, 100), capacityRps: 1)!;

        // Waits: 0, w(100), 2 w(100), 2 w(100) + w(200); the unloaded latency is the first ten's 100 ms.
        double last = (2 * work(100) + work(200)) * 1e3 + 100;
        Assert.Equal(last, figures.ModelBlitzFastP99Ms, GridMs);
        Assert.Equal(last, figures.ModelAllcacheP99Ms, GridMs);
        Assert.Equal(1.0, figures.ModelRatioBlitzFast);
        Assert.Equal(3100, figures.MeasuredBlitzFastP99Ms);
    }

    [Fact]
    public void Allcache_fast_load_against_blitz_fast_network_load_and_ideal_pairs_in_between()
    {
        // Four equal prompts at 100 s. allcache: a new instance from its host's copy, Serving at 101 s; blitz-fast: one over
        // the network, Serving at 102 s.
        var allcache = Run([new ReplayLoad("m/1/0", "h2/gpu0", 100, 101, 1, "h2/memory (HostToDevice)", 1)], 100, 100, 100, 100);
        var blitzFast = Run([new ReplayLoad("m/1/0", "h2/gpu0", 100, 102, 2, "h1/gpu0 (Network)", 1)], 100, 100, 100, 100);

        var figures = ReplayPairModel.Of(blitzFast, allcache, 1)!;

        // allcache: ends at 101, 101.5, 102, 102.5: the last started 2 s after it arrived. blitz-fast: 101, 102, 102.5, 103: 2.5 s.
        Assert.Equal(2100, figures.ModelAllcacheP99Ms, GridMs);
        Assert.Equal(2600, figures.ModelBlitzFastP99Ms, GridMs);
        Assert.Equal(Math.Round(figures.ModelBlitzFastP99Ms / figures.ModelAllcacheP99Ms, 3), figures.ModelRatioBlitzFast);
        // An ideal pair of the network load helps, but here not as much as a whole instance a second earlier.
        Assert.InRange(figures.IdealBlitzPairsP99Ms, 2100, 2600 - GridMs);
        Assert.Equal(Math.Round(figures.IdealBlitzPairsP99Ms / figures.ModelAllcacheP99Ms, 3), figures.IdealRatioBlitzPairs);
        // One network load: nothing to pair in complementary orders, and every load is the network one.
        Assert.Equal(figures.IdealBlitzPairsP99Ms, figures.IdealComplementaryP99Ms);
        Assert.Equal(figures.IdealBlitzPairsP99Ms, figures.IdealEveryLoadP99Ms);
    }

    [Fact]
    public void The_host_copys_load_pairs_only_where_every_load_is_paired()
    {
        // blitz-fast's new instance loads from the host copy beside it, Serving at 102 s: the grid keeps that load out of pairs.
        var local = Run([new ReplayLoad("m/1/0", "h2/gpu0", 100, 102, 2, "h2/memory (HostToDevice)", 1)], 100, 100, 100, 100);

        var figures = ReplayPairModel.Of(local, local, 1)!;

        Assert.Equal(figures.ModelBlitzFastP99Ms, figures.IdealBlitzPairsP99Ms);
        Assert.True(figures.IdealEveryLoadP99Ms < figures.IdealBlitzPairsP99Ms - GridMs);
        Assert.Equal(Math.Round(figures.IdealEveryLoadP99Ms / figures.ModelAllcacheP99Ms, 3), figures.IdealRatioEveryLoad);
    }

    [Fact]
    public void A_round_without_a_capacity_a_baseline_a_log_or_a_load_time_has_no_model()
    {
        var run = Run([], 100, 100);
        Assert.Null(ReplayPairModel.Of(run, run, null));
        Assert.Null(ReplayPairModel.Of(run, null, 1));
        Assert.Null(ReplayPairModel.Of(new ReplayResult { ModelName = "m", Figures = run.Figures }, run, 1));
        var unloaded = Run([new ReplayLoad("m/1/0", "h2/gpu0", 100, null, 0, null, 0)], 100);
        Assert.Null(ReplayPairModel.Of(unloaded, run, 1));
    }

    [Fact]
    public void The_report_gives_each_rounds_model_and_the_medians_of_its_ideal_ratios()
    {
        var report = new ReplayBenchReport { Needs = ReplayNeeds.Of(1, 1, 1, 2) };
        report.Policies["blitz-fast"] = Run([new ReplayLoad("m/1/0", "h2/gpu0", 100, 102, 2, "h1/gpu0 (Network)", 1)], 100, 100, 100, 100);
        report.Policies["allcache"] = Run([new ReplayLoad("m/1/0", "h2/gpu0", 100, 101, 1, "h2/memory (HostToDevice)", 1)], 100, 100, 100, 100);

        report.Finish();

        var model = report.RoundFigures.Single().PairModel!;
        Assert.Equal(model.IdealRatioBlitzPairs, report.P99TtftIdealRatioAllcache);
        Assert.Equal(model.IdealRatioComplementary, report.P99TtftIdealRatioAllcacheComplementary);
        Assert.Equal(model.IdealRatioEveryLoad, report.P99TtftIdealRatioAllcacheEveryLoad);
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(report, CliJson.Options));
        Assert.Equal(model.IdealRatioBlitzPairs!.Value, json.RootElement.GetProperty("p99_ttft_ideal_ratio_allcache").GetDouble());
        var pair = json.RootElement.GetProperty("round_figures")[0].GetProperty("pair_model");
        Assert.Equal(2100, pair.GetProperty("model_allcache_p99_ms").GetDouble(), GridMs);
    }

    // A run: ten unloaded requests 10 s apart (each 100 tokens, a first token after 100 ms), then the burst's prompts at 100 s,
    // the i-th of them measured at i s to its first token (only the measured p99 reads those).
    private static ReplayResult Run(IReadOnlyList<ReplayLoad> loads, params int[] burst)
    {
        var log = new List<ReplayRequest>();
        for (int i = 0; i < 10; i++) log.Add(Request(log.Count, i * 10, 100, 0.1));
        for (int i = 0; i < burst.Length; i++) log.Add(Request(log.Count, 100, burst[i], i + 0.1));
        return new ReplayResult
        {
            Policy = "p", ModelName = "m", Log = log, Loads = loads,
            Figures = ReplayFigures.Of(log, [], new ReplaySlo(1000, 100)),
        };
    }

    private static ReplayRequest Request(int index, double arrivalS, int prompt, double ttftS) =>
        new(index, index, arrivalS, arrivalS, prompt, 1, [arrivalS + ttftS], arrivalS + ttftS, "m/0/0", ReplayOutcome.Ok, null);
}
