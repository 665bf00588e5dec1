using System.Text.Json;
using BlitzScale.Cli.Benchmarks;
using BlitzScale.Cli.Commands;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>The fluid model of what an ideal live pair could give, against figures worked out by hand.</summary>
public sealed class LivePairModelTests
{
    // The model integrates on a 1 ms grid: a request's end falls on the step at or after its exact end.
    private const double GridMs = 5;

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(0.5, 1)]
    [InlineData(0.25, 1.0 / 3)]
    [InlineData(0.75, 1.0 / 3)]
    public void A_pair_adds_min_of_one_over_the_missing_share_and_one_over_the_share_less_one(double share, double gain) =>
        Assert.Equal(gain, LivePairModel.PairGain(share), 9);

    [Fact]
    public void Below_capacity_every_request_waits_nothing_and_gets_the_unloaded_latency()
    {
        var arrivals = Enumerable.Range(0, 5).Select(i => new ModelArrival(i, Burst: true)).ToList();

        double p99 = LivePairModel.BurstP99Ms(arrivals, capacityRps: 10, unloadedMs: 130, loads: [], _ => false);

        Assert.Equal(130, p99, 6);
    }

    [Fact]
    public void An_overloaded_instance_serves_first_come_first_served_at_its_capacity()
    {
        // One request a second; three at once wait 0, 1 and 2 s. Steady requests enter the queue but not the p99.
        List<ModelArrival> arrivals = [new(0, Burst: false), new(0, Burst: true), new(0, Burst: true)];

        double p99 = LivePairModel.BurstP99Ms(arrivals, 1, 100, [], _ => false);

        Assert.Equal(2100, p99, GridMs);
    }

    [Fact]
    public void A_new_instance_adds_its_capacity_from_its_time_serving_and_an_ideal_pair_while_it_loads()
    {
        // Four at 0 on one instance of 1 request/s; a new one serves from 1 s. Unpaired: ends at 1, 1.5, 2 → the last waits 2 s.
        List<ModelArrival> arrivals = [new(0, true), new(0, true), new(0, true), new(0, true)];
        List<ModelLoad> loads = [new(ScaleAtS: 0, ServingAtS: 1, PairsUnderBlitz: true)];

        double unpaired = LivePairModel.BurstP99Ms(arrivals, 1, 0, loads, _ => false);
        double paired = LivePairModel.BurstP99Ms(arrivals, 1, 0, loads, load => load.PairsUnderBlitz);

        Assert.Equal(2000, unpaired, GridMs);
        // Paired, the rate is 1 / (1 − t) to t = 0.5 and 1 / t after: the first request's unit is done at e / 4
        // (ln 2 by 0.5, then ln(2t)); the second's runs to 1 (ln(4 / e)) and finishes at rate 2; the last starts 0.5 s later.
        double first = Math.E / 4;
        double second = 1 + (1 - Math.Log(1 / first)) / 2;
        Assert.Equal((second + 0.5) * 1e3, paired, GridMs);
    }

    [Fact]
    public void Each_whole_instance_partners_one_loading_instance_the_one_that_gains_most()
    {
        List<ModelLoad> loads = [new(0, 2, true), new(0, 1, true)];

        // At 0.5 s: shares 0.25 and 0.5, one whole instance: it pairs with the one at half (gain 1), not both.
        double rate = LivePairModel.Rate(0.5, 10, loads, _ => true, []);

        Assert.Equal(20, rate, 9);
        // At 1.5 s the second is whole: two whole instances, and the first, at 0.75, gains a third.
        Assert.Equal(10 * (2 + 1.0 / 3), LivePairModel.Rate(1.5, 10, loads, _ => true, []), 9);
    }

    [Fact]
    public void Two_loads_in_complementary_orders_serve_as_a_pipeline_once_their_layers_cover_the_model()
    {
        // Both load over the network from 0 to 2 s; one whole instance of 10 requests/s.
        List<ModelLoad> loads = [new(0, 2, true), new(0, 2, true)];

        // At 0.5 s (a quarter each) they do not cover the model: the one whole instance pairs with one of them (gain 1/3).
        Assert.Equal(10 * (1 + 1.0 / 3), LivePairModel.ComplementaryRate(0.5, 10, loads, []), 9);
        // At 1 s (half each) they cover it: a pipeline split at half, 2C, and the whole instance alone (no pair with it).
        Assert.Equal(10 * 3, LivePairModel.ComplementaryRate(1, 10, loads, []), 9);
        // At 1.5 s (three quarters each) still split at half; at 2 s both whole.
        Assert.Equal(30, LivePairModel.ComplementaryRate(1.5, 10, loads, []), 9);
        Assert.Equal(30, LivePairModel.ComplementaryRate(2, 10, loads, []), 9);
        // The grid's pairs at 1 s: one pair of the whole instance with a load at half, 2C.
        Assert.Equal(20, LivePairModel.Rate(1, 10, loads, l => l.PairsUnderBlitz, []), 9);
    }

    [Fact]
    public void Uneven_complementary_loads_split_at_the_share_nearest_half_that_both_hold()
    {
        // The first started at 0 and is at 0.9 at 0.9 s; the second started at 0.5 and holds 0.2 of the layers at 0.9 s:
        // together 1.1, so the split is at 0.8 (the backward one holds the last 0.2), C ÷ 0.8.
        List<ModelLoad> loads = [new(0, 1, true), new(0.5, 2.5, true)];

        Assert.Equal(10 * (1 + 1 / 0.8), LivePairModel.ComplementaryRate(0.9, 10, loads, []), 9);
        // Once the first is whole, the second (holding the last 0.35) pairs with a whole instance as its tail: 0.35 ÷ 0.65 more.
        Assert.Equal(10 * (2 + 0.35 / 0.65), LivePairModel.ComplementaryRate(1.2, 10, loads, []), 9);
    }

    [Fact]
    public void With_a_whole_partner_for_each_load_complementary_orders_give_what_ideal_pairs_give_until_they_cover_the_model()
    {
        // The host copy's load whole at 0.5 s, then two network loads from 0.5 to 2.5 s beside two whole instances.
        List<ModelLoad> loads = [new(0, 0.5, false), new(0.5, 2.5, true), new(0.5, 2.5, true)];

        foreach (double t in new[] { 0.25, 0.75, 1.0, 1.4, 2.5 })
            Assert.Equal(LivePairModel.Rate(t, 10, loads, l => l.PairsUnderBlitz, []), LivePairModel.ComplementaryRate(t, 10, loads, []), 9);
        // At 2 s (three quarters each): two pairs give a third each (their loading halves bind), the pipeline 2C beside two whole instances.
        Assert.Equal(10 * (2 + 2.0 / 3), LivePairModel.Rate(2, 10, loads, l => l.PairsUnderBlitz, []), 9);
        Assert.Equal(40, LivePairModel.ComplementaryRate(2, 10, loads, []), 9);
    }

    [Fact]
    public void A_load_from_inside_its_host_stays_out_of_complementary_pairs_and_an_odd_load_pairs_as_in_the_grid()
    {
        // The host copy's load (whole at 1 s) and one network load (whole at 2 s): no two to pair, so the grid's rate.
        List<ModelLoad> loads = [new(0, 1, false), new(0, 2, true)];

        foreach (double t in new[] { 0.5, 1.0, 1.5, 2.0 })
            Assert.Equal(LivePairModel.Rate(t, 10, loads, l => l.PairsUnderBlitz, []), LivePairModel.ComplementaryRate(t, 10, loads, []), 9);
    }

    [Theory]
    [InlineData("h1/gpu0 (Network)", true)]
    [InlineData("h3/memory (HostToDevice)", false)]
    [InlineData("h2/gpu1 (NvLink)", false)]
    [InlineData("storage (Storage)", true)]
    [InlineData(null, false)]
    public void The_grid_pairs_a_load_that_crosses_the_network_not_one_from_inside_its_host(string? loadedFrom, bool pairs) =>
        Assert.Equal(pairs, LivePairModel.PairsUnderBlitz(loadedFrom));

    [Fact]
    public void A_round_without_blitz_fast_or_a_capacity_or_a_load_time_has_no_model()
    {
        Assert.Null(LivePairModel.Of(null, 10));
        Assert.Null(LivePairModel.Of(BlitzFast(), null));
        var unloaded = BlitzFast();
        unloaded.NewInstances[0] = unloaded.NewInstances[0] with { ServingAtS = null };
        Assert.Null(LivePairModel.Of(unloaded, 1));
    }

    [Fact]
    public void The_report_gives_each_rounds_model_and_the_medians_of_its_ideal_ratios()
    {
        var report = new LiveReport { Capacity = new LiveCapacity(1, null, 1, "profile") };
        report.Policies["blitz-fast"] = BlitzFast();

        report.Finish();

        var model = report.RoundFigures.Single().PairModel!;
        // The worked case above, with the unloaded latency of 100 ms: the host copy's load (whole at 1 s) stays out of blitz's pairs.
        Assert.Equal(2100, model.ModelBlitzFastP99Ms, GridMs);
        Assert.Equal(2150, model.MeasuredBlitzFastP99Ms);
        Assert.Equal(2100, model.IdealBlitzPairsP99Ms, GridMs);
        Assert.Equal(1.0, model.IdealRatioBlitzPairs);
        Assert.True(model.IdealEveryLoadP99Ms < 1950);
        Assert.Equal(model.IdealRatioEveryLoad, report.P99TtftIdealRatioBlitzFastEveryLoad);
        // One load, from inside its host: nothing to pair in complementary orders either.
        Assert.Equal(model.IdealBlitzPairsP99Ms, model.IdealComplementaryP99Ms);
        Assert.Equal(1.0, report.P99TtftIdealRatioBlitzFastComplementary);
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(report, CliJson.Options));
        Assert.Equal(1.0, json.RootElement.GetProperty("p99_ttft_ideal_ratio_blitz_fast").GetDouble());
        Assert.Equal(2150, json.RootElement.GetProperty("round_figures")[0].GetProperty("pair_model").GetProperty("measured_blitz_fast_p99_ms").GetDouble());
        Assert.Equal(1.0, json.RootElement.GetProperty("p99_ttft_ideal_ratio_blitz_fast_complementary").GetDouble());
        Assert.Equal(1.0, json.RootElement.GetProperty("round_figures")[0].GetProperty("pair_model").GetProperty("ideal_ratio_complementary").GetDouble());
    }

    // blitz-fast's run of the worked case: a steady request, then four at the burst's start (the scale request) on one
    // instance of 1 request/s, and a new instance from the host copy beside it, Serving 1 s later.
    private static LivePolicyRun BlitzFast()
    {
        List<LiveRequest> log =
        [
            new(0, LivePhase.Steady, -5, -5, -4.9, -4, "m/0/0", 2, null),
            .. Enumerable.Range(1, 4).Select(i => new LiveRequest(i, LivePhase.Burst, 0, 0, 1, 2, "m/0/0", 2, null)),
        ];
        var run = new LivePolicyRun
        {
            Policy = "blitz-fast",
            ModelName = "live-blitz-fast",
            ScaleAtS = 0,
            Log = log,
            Figures = new LiveFigures(5, 4, 0, new Percentiles(100, 100), new Percentiles(1000, 2150), 1, 1, 1, 0, LoadedInBurst: true),
        };
        run.NewInstances.Add(new LiveNewInstance(1, "m/1/0", "h2/gpu0", ServingAtS: 1, LoadSeconds: 1, LoadedFrom: "h2/memory (HostToDevice)", LoadedBytes: 100));
        return run;
    }
}
