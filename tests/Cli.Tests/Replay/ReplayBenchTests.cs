using BlitzScale.Cli.Benchmarks;
using BlitzScale.Cli.Replay;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Tests.Replay;

/// <summary>bench replay's pure parts: the needs, the one deploy step per policy, and the ratios and goals.</summary>
public sealed class ReplayBenchTests
{
    [Fact]
    public void Needs_round_up_to_whole_instances_within_the_cluster()
    {
        var needs = ReplayNeeds.Of(capacityRps: 4, peakRps: 30, meanRps: 6, gpus: 4);

        Assert.Equal((4, 2), (needs.Peak, needs.Average));
        Assert.Equal((1, 1), (ReplayNeeds.Of(4, 4, 0.5, 4).Peak, ReplayNeeds.Of(4, 4, 0.5, 4).Average));
        Assert.Throws<ArgumentException>(() => ReplayNeeds.Of(0, 1, 1, 1));
    }

    [Fact]
    public void A_peak_beyond_the_cluster_is_told_uncapped_and_as_a_share_of_the_cluster()
    {
        // The default window at aad5000: 462 requests/s at the peak, 34.125 per instance, 4 GPUs.
        var needs = ReplayNeeds.Of(capacityRps: 34.125, peakRps: 462, meanRps: 68.25, gpus: 4);

        Assert.Equal((4, 14, 3.385), (needs.Peak, needs.PeakUncapped, needs.PeakOverCluster));
        Assert.Equal((2, 0.5), (ReplayNeeds.Of(4, 8, 1, 4).PeakUncapped, ReplayNeeds.Of(4, 8, 1, 4).PeakOverCluster));
    }

    [Fact]
    public void The_static_baselines_deploy_their_fixed_count_and_the_autoscaled_policies_start_at_one()
    {
        var policies = ReplayBenchPolicy.Parse(["blitz", "SLLM", "static-peak", "static-average"], ReplayNeeds.Of(4, 30, 6, 4));
        string[] gpus = ["h1/gpu0", "h2/gpu0", "h3/gpu0", "h4/gpu0"];

        var requests = policies.Select(p => p.Deploy("/m", gpus, 64, timeDilation: 2)).ToList();

        Assert.Equal(["blitz", "sllm", "static-peak", "static-average"], policies.Select(p => p.Name));
        Assert.Equal([1, 1, 4, 2], requests.Select(r => r.Instances));
        Assert.Equal(["h1/gpu0"], requests[1].Gpus!);
        Assert.Equal(gpus, requests[2].Gpus!);
        Assert.Equal([LoadPolicy.Blitz, LoadPolicy.Sllm, LoadPolicy.Blitz, LoadPolicy.Blitz], requests.Select(r => r.Policy));
        Assert.All(requests, r => Assert.Equal(64, r.KvBlocks));
        // The autoscaled policies run the autoscaler from 1 up to every GPU, its durations stretched by D; the static ones run none.
        Assert.Equal([true, true, false, false], requests.Select(r => r.Autoscale is not null));
        var autoscale = requests[0].Autoscale!;
        Assert.Equal((1, 4), (autoscale.MinInstances, autoscale.MaxInstances));
        Assert.Equal((666.0, 2000.0, 2000.0, 2000.0), (autoscale.ScaleDownDelayMs, autoscale.WarmUpMs, autoscale.PrefillWindowMs, autoscale.WarmKeepMs));
        Assert.Throws<ArgumentException>(() => ReplayBenchPolicy.Parse(["blitz", "blitz"], ReplayNeeds.Of(1, 1, 1, 1)));
        var unknown = Assert.Throws<ArgumentException>(() => ReplayBenchPolicy.Parse(["static"], ReplayNeeds.Of(1, 1, 1, 1)));
        // The error names every policy bench replay takes, the static ones too (it named only the load policies before).
        Assert.Equal("--policies: expected blitz, blitz-fast, sllm, allcache, static-peak or static-average, found \"static\"", unknown.Message);
    }

    private static ReplayResult Run(string policy, double p99TtftMs, double gpuSeconds, int lost) => new()
    {
        Policy = policy, ModelName = $"replay-{policy}",
        Figures = new ReplayFigures(10, 10 - lost, 0, lost, new Spread(10, 1, 1, p99TtftMs, p99TtftMs), null, null, 0.9, gpuSeconds, 1, 1, 10, 0,
            new Dictionary<string, int>()),
    };

    [Fact]
    public void The_ratios_are_blitz_over_each_baseline_and_the_goals_are_checked_against_them()
    {
        var report = new ReplayBenchReport();
        report.Policies["blitz"] = Run("blitz", 400, 60, 0);
        report.Policies["sllm"] = Run("sllm", 1000, 50, 0);
        report.Policies["allcache"] = Run("allcache", 410, 70, 0);
        report.Policies["static-peak"] = Run("static-peak", 100, 100, 1);

        report.Finish();

        Assert.Equal(0.4, report.P99TtftRatio["sllm"]);
        Assert.Equal(Math.Round(400 / 410.0, 3), report.P99TtftRatio["allcache"]);
        Assert.Equal(0.6, report.GpuSecondsRatio["static_peak"]);
        Assert.Equal(true, report.GoalsMet["p99_ttft_ratio_sllm"]);
        Assert.Equal(false, report.GoalsMet["p99_ttft_ratio_allcache"]);
        Assert.Equal(true, report.GoalsMet["gpu_seconds_ratio_static_peak"]);
        Assert.Equal(false, report.GoalsMet["lost_requests"]);
        Assert.Equal(1, report.LostRequests["static-peak"]);
        Assert.Equal(0.9, report.SloAttainment["blitz"]);
    }

    [Fact]
    public void With_rounds_each_rounds_ratios_are_kept_and_the_top_level_ones_are_their_medians()
    {
        var report = new ReplayBenchReport();
        report.Policies["blitz"] = Run("blitz", 400, 60, 0);
        report.Policies["blitz-fast"] = Run("blitz-fast", 500, 60, 0);
        report.Policies["allcache"] = Run("allcache", 400, 70, 0);
        report.Policies["static-peak"] = Run("static-peak", 100, 100, 0);
        // The second round ran in reverse order; blitz lost a request in it.
        report.LaterRounds.Add(new BenchRound<ReplayResult>
        {
            Round = 2,
            Policies = new()
            {
                ["static-peak"] = Run("static-peak", 100, 100, 0), ["allcache"] = Run("allcache", 200, 70, 0),
                ["blitz-fast"] = Run("blitz-fast", 400, 60, 0), ["blitz"] = Run("blitz", 300, 50, 1),
            },
        });
        report.LaterRounds.Add(new BenchRound<ReplayResult>
        {
            Round = 3,
            Policies = new()
            {
                ["blitz"] = Run("blitz", 500, 80, 0), ["blitz-fast"] = Run("blitz-fast", 500, 60, 0),
                ["allcache"] = Run("allcache", 250, 70, 0), ["static-peak"] = Run("static-peak", 100, 100, 0),
            },
        });

        report.Finish();

        // Per round: ÷ allcache 1.0, 1.5, 2.0; ÷ static-peak 0.6, 0.5, 0.8; ÷ blitz-fast 0.8, 0.75, 1.0.
        Assert.Equal([1.0, 1.5, 2.0], report.RoundFigures.Select(r => r.P99TtftRatio["allcache"]));
        Assert.Equal([0.8, 0.75, 1.0], report.RoundFigures.Select(r => r.P99TtftRatioBlitzFast));
        Assert.Equal(["static-peak", "allcache", "blitz-fast", "blitz"], report.RoundFigures[1].Order);
        Assert.Equal(1.5, report.P99TtftRatio["allcache"]);
        Assert.Equal(0.6, report.GpuSecondsRatio["static_peak"]);
        Assert.Null(report.P99TtftRatio["sllm"]);
        // Lost requests count over every round: one is enough to miss the goal.
        Assert.Equal(1, report.LostRequests["blitz"]);
        Assert.Equal(false, report.GoalsMet["lost_requests"]);

        // Stdout's summary drops the logs of every round.
        report.DropLogs();
        Assert.All(report.LaterRounds.SelectMany(r => r.Policies.Values).Append(report.Policies["blitz"]), run => Assert.Null(run.Log));
    }

    [Fact]
    public void A_round_count_below_one_is_refused_with_the_option_named()
    {
        Assert.Equal(3, ReplayBenchOptions.CheckRounds(3));
        var error = Assert.Throws<ArgumentException>(() => ReplayBenchOptions.CheckRounds(0));
        Assert.Equal("--rounds must be ≥ 1, found 0", error.Message);
    }

    [Fact]
    public void A_missing_policy_leaves_its_ratio_and_goal_unknown_rather_than_met()
    {
        var report = new ReplayBenchReport();
        report.Policies["blitz"] = Run("blitz", 400, 60, 0);

        report.Finish();

        Assert.Null(report.P99TtftRatio["sllm"]);
        Assert.Null(report.GoalsMet["p99_ttft_ratio_sllm"]);
        Assert.Null(report.GoalsMet["gpu_seconds_ratio_static_peak"]);
        Assert.Equal(true, report.GoalsMet["lost_requests"]);
    }

    [Fact]
    public void Both_testbed_reports_write_the_setting_they_share_at_their_top_level()
    {
        foreach (ReplayBenchSettingReport report in new ReplayBenchSettingReport[] { new ReplayBenchReport(), new ChaosReport() })
        {
            report.CostModel = "llama3-8b";
            report.StorageMBps = 50;
            report.LinkMbit = 1000;
            var json = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize((object)report, BlitzScale.Cli.Commands.CliJson.Indented)).RootElement;
            Assert.Equal("llama3-8b", json.GetProperty("cost_model").GetString());
            Assert.Equal(50, json.GetProperty("storage_MBps").GetDouble());
            Assert.Equal(1000, json.GetProperty("link_mbit").GetInt32());
        }
    }
}
