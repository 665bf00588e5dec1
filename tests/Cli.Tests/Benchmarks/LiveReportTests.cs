using System.Text.Json;
using BlitzScale.Cli.Benchmarks;
using BlitzScale.Cli.Commands;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>The report's ratios and goals across policies, and the JSON names readers depend on.</summary>
public sealed class LiveReportTests
{
    private static LivePolicyRun Run(string policy, double p99Ms, double? share = null, string? error = null, double? earlyP99Ms = null) => new()
    {
        Policy = policy,
        ModelName = $"live-{policy}",
        Figures = new LiveFigures(10, 8, 0, null, new Percentiles(p99Ms / 2, p99Ms), 1, 2, share, 0.5, LoadedInBurst: true, earlyP99Ms),
        Error = error,
    };

    [Fact]
    public void The_floor_ratio_is_blitzs_early_p99_over_blitz_fasts_p99_the_median_of_the_rounds()
    {
        var report = new LiveReport();
        report.Policies["blitz"] = Run("blitz", 900, earlyP99Ms: 700);
        report.Policies["blitz-fast"] = Run("blitz-fast", 1000, earlyP99Ms: 720);
        report.LaterRounds.Add(new BenchRound<LivePolicyRun> { Round = 2, Policies = new() { ["blitz-fast"] = Run("blitz-fast", 800), ["blitz"] = Run("blitz", 760, earlyP99Ms: 640) } });
        report.LaterRounds.Add(new BenchRound<LivePolicyRun> { Round = 3, Policies = new() { ["blitz"] = Run("blitz", 700), ["blitz-fast"] = Run("blitz-fast", 900) } });

        report.Finish();

        // Rounds: 700 ÷ 1000, 640 ÷ 800, none (blitz's early p99 unknown); blitz-fast's own early p99 enters nothing.
        Assert.Equal([0.7, 0.8, null], report.RoundFigures.Select(r => r.P99TtftFloorRatioBlitzFast));
        Assert.Equal(0.75, report.P99TtftFloorRatioBlitzFast);
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(report, CliJson.Options));
        Assert.Equal(0.75, json.RootElement.GetProperty("p99_ttft_floor_ratio_blitz_fast").GetDouble());
        Assert.Equal(700, json.RootElement.GetProperty("policies").GetProperty("blitz").GetProperty("figures").GetProperty("early_burst_p99_ttft_ms").GetDouble());
    }

    [Fact]
    public void Ratios_are_blitzs_burst_p99_over_each_baselines_and_the_goals_are_checked()
    {
        var report = new LiveReport();
        report.Policies["blitz"] = Run("blitz", 600, share: 0.25);
        report.Policies["blitz-fast"] = Run("blitz-fast", 1000);
        report.Policies["sllm"] = Run("sllm", 1500);
        report.Policies["allcache"] = Run("allcache", 400);

        report.Finish();

        Assert.Equal(0.6, report.P99TtftRatio["blitz_fast"]);
        Assert.Equal(0.4, report.P99TtftRatio["sllm"]);
        Assert.Equal(1.5, report.P99TtftRatio["allcache"]);
        Assert.True(report.GoalsMet["p99_ttft_ratio_blitz_fast"]);
        Assert.False(report.GoalsMet["p99_ttft_ratio_sllm"]);
        Assert.True(report.GoalsMet["first_token_share"]);
        Assert.False(report.Failed);
    }

    [Fact]
    public void A_policy_not_run_has_a_null_ratio_and_its_goal_is_unknown()
    {
        var report = new LiveReport();
        report.Policies["blitz"] = Run("blitz", 600);
        report.Policies["sllm"] = Run("sllm", 6000);

        report.Finish();

        Assert.Null(report.P99TtftRatio["blitz_fast"]);
        Assert.Null(report.P99TtftRatio["allcache"]);
        Assert.Equal(0.1, report.P99TtftRatio["sllm"]);
        Assert.Null(report.GoalsMet["p99_ttft_ratio_blitz_fast"]);
        Assert.True(report.GoalsMet["p99_ttft_ratio_sllm"]);
        Assert.Null(report.GoalsMet["first_token_share"]);
    }

    [Fact]
    public void Without_blitz_every_ratio_is_null()
    {
        var report = new LiveReport();
        report.Policies["sllm"] = Run("sllm", 6000);

        report.Finish();

        Assert.All(report.P99TtftRatio.Values, Assert.Null);
        Assert.Equal(["blitz_fast", "sllm", "allcache"], report.P99TtftRatio.Keys);
    }

    [Fact]
    public void With_rounds_each_rounds_ratios_are_kept_and_the_reported_ones_are_their_medians()
    {
        var report = new LiveReport();
        report.Policies["blitz"] = Run("blitz", 600, share: 0.2);
        report.Policies["blitz-fast"] = Run("blitz-fast", 1000);
        report.LaterRounds.Add(new BenchRound<LivePolicyRun>
        {
            Round = 2,
            Policies = new() { ["blitz-fast"] = Run("blitz-fast", 1000), ["blitz"] = Run("blitz", 1200, share: 0.4) },
        });
        report.LaterRounds.Add(new BenchRound<LivePolicyRun>
        {
            Round = 3,
            Policies = new() { ["blitz"] = Run("blitz", 800, share: 0.1), ["blitz-fast"] = Run("blitz-fast", 1000) },
        });

        report.Finish();

        Assert.Equal([0.6, 1.2, 0.8], report.RoundFigures.Select(r => r.P99TtftRatio["blitz_fast"]));
        Assert.Equal(["blitz-fast", "blitz"], report.RoundFigures[1].Order);
        Assert.Equal(0.8, report.P99TtftRatio["blitz_fast"]);
        Assert.Null(report.P99TtftRatio["sllm"]);
        Assert.Equal(0.2, report.FirstTokenShare);
        Assert.False(report.GoalsMet["p99_ttft_ratio_blitz_fast"]);
        Assert.True(report.GoalsMet["first_token_share"]);
    }

    [Fact]
    public void Each_round_says_the_seed_of_the_arrivals_it_played()
    {
        var report = new LiveReport { Seed = 1, SeedPerRound = true };
        report.Policies["blitz"] = With(Run("blitz", 600), seed: 1);
        report.Policies["blitz-fast"] = With(Run("blitz-fast", 1000), seed: 1);
        report.LaterRounds.Add(new BenchRound<LivePolicyRun>
        {
            Round = 2,
            Policies = new() { ["blitz-fast"] = With(Run("blitz-fast", 1000), seed: 2), ["blitz"] = With(Run("blitz", 900), seed: 2) },
        });

        report.Finish();

        Assert.Equal([1, 2], report.RoundFigures.Select(r => r.Seed));
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(report, CliJson.Options));
        Assert.True(json.RootElement.GetProperty("seed_per_round").GetBoolean());
        Assert.Equal(2, json.RootElement.GetProperty("round_figures")[1].GetProperty("seed").GetInt32());
        Assert.Equal(2, json.RootElement.GetProperty("later_rounds")[0].GetProperty("policies").GetProperty("blitz").GetProperty("seed").GetInt32());
    }

    private static LivePolicyRun With(LivePolicyRun run, int seed) => new()
    {
        Policy = run.Policy, ModelName = run.ModelName, Figures = run.Figures, Error = run.Error, Seed = seed,
    };

    [Fact]
    public void Two_rounds_report_the_mean_of_their_ratios_and_an_error_in_a_later_round_fails_the_run()
    {
        var report = new LiveReport();
        report.Policies["blitz"] = Run("blitz", 600);
        report.Policies["blitz-fast"] = Run("blitz-fast", 1000);
        report.LaterRounds.Add(new BenchRound<LivePolicyRun>
        {
            Round = 2,
            Policies = new() { ["blitz-fast"] = Run("blitz-fast", 1000, error: "1 of 10 requests failed"), ["blitz"] = Run("blitz", 700) },
        });

        report.Finish();

        Assert.Equal(0.65, report.P99TtftRatio["blitz_fast"]);
        Assert.True(report.Failed);
        report.DropLogs();
        Assert.All(report.LaterRounds[0].Policies.Values, run => Assert.Null(run.Log));
    }

    [Fact]
    public void A_policy_with_an_error_fails_the_run()
    {
        var report = new LiveReport();
        report.Policies["blitz"] = Run("blitz", 600);
        report.Policies["sllm"] = Run("sllm", 6000, error: "2 of 10 requests failed");

        Assert.True(report.Failed);
    }

    [Fact]
    public void The_json_names_the_figures_as_documented()
    {
        var report = new LiveReport { Backend = "timed", LinkMbit = 1000, StorageMBps = 50, BurstRps = 60 };
        var run = Run("blitz", 600, share: 0.2);
        run.ScaleAtS = 3.0;
        run.NewInstances.Add(new LiveNewInstance(1, "m/1/0", "h2/gpu0", 6.2, 3.1, "gpu h1/gpu0", 1000, "3 requests: 3 split (at layer 4)"));
        run.Log = [new LiveRequest(0, LivePhase.Burst, 3.1, 3.1, 3.3, 4.0, "m/0/0", 32, null)];
        report.Policies["blitz"] = run;
        report.Capacity = new LiveCapacity(30.1, 29.5, 30.1, "profile");
        report.Finish();

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(report, CliJson.Options));
        var root = json.RootElement;

        Assert.Equal(JsonValueKind.Null, root.GetProperty("p99_ttft_ratio").GetProperty("sllm").ValueKind);
        Assert.Equal(0.7, root.GetProperty("goals").GetProperty("p99_ttft_ratio_blitz_fast_max").GetDouble());
        Assert.Equal(0.3, root.GetProperty("goals").GetProperty("p99_ttft_ratio_sllm_max").GetDouble());
        Assert.Equal(0.3, root.GetProperty("goals").GetProperty("first_token_share_max").GetDouble());
        Assert.True(root.GetProperty("goals_met").GetProperty("first_token_share").GetBoolean());
        Assert.Equal(50, root.GetProperty("storage_MBps").GetDouble());
        Assert.Equal(30.1, root.GetProperty("capacity").GetProperty("profile_rps").GetDouble());
        Assert.Equal(60, root.GetProperty("burst_rps").GetDouble());
        var blitz = root.GetProperty("policies").GetProperty("blitz");
        var figures = blitz.GetProperty("figures");
        Assert.Equal(600, figures.GetProperty("burst_ttft_ms").GetProperty("p99").GetDouble());
        Assert.Equal(1, figures.GetProperty("first_token_s").GetDouble());
        Assert.Equal(2, figures.GetProperty("full_load_s").GetDouble());
        Assert.Equal(0.2, figures.GetProperty("first_token_share").GetDouble());
        Assert.Equal(0, figures.GetProperty("failed").GetInt32());
        Assert.True(figures.GetProperty("loaded_in_burst").GetBoolean());
        Assert.Equal(3.0, blitz.GetProperty("scale_at_s").GetDouble());
        Assert.Equal("m/1/0", blitz.GetProperty("new_instances")[0].GetProperty("shard").GetString());
        Assert.Equal("3 requests: 3 split (at layer 4)", blitz.GetProperty("new_instances")[0].GetProperty("live_served").GetString());
        var request = blitz.GetProperty("log")[0];
        Assert.Equal("Burst", request.GetProperty("phase").GetString());
        Assert.Equal(0.2, request.GetProperty("ttft_s").GetDouble(), 9);
        Assert.Equal("m/0/0", request.GetProperty("shard").GetString());
        Assert.Equal(JsonValueKind.Null, request.GetProperty("error").ValueKind);

        report.DropLogs();
        using var summary = JsonDocument.Parse(JsonSerializer.Serialize(report, CliJson.Options));
        Assert.False(summary.RootElement.GetProperty("policies").GetProperty("blitz").TryGetProperty("log", out _));
        Assert.Equal(600, summary.RootElement.GetProperty("policies").GetProperty("blitz").GetProperty("figures").GetProperty("burst_ttft_ms").GetProperty("p99").GetDouble());
    }
}
