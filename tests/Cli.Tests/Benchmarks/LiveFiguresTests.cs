using BlitzScale.Cli.Benchmarks;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>A policy's figures from a hand-made request log: TTFT percentiles, first token of a new instance, full load, failures.</summary>
public sealed class LiveFiguresTests
{
    private const string Old = "m/0/0";
    private const string New1 = "m/1/0";
    private const string New2 = "m/2/0";

    private static LiveRequest Request(int index, LivePhase phase, double arrival, double? firstToken, string? shard, string? error = null, double start = -1) =>
        new(index, phase, arrival, start < 0 ? arrival : start, firstToken, (firstToken ?? arrival) + 1, shard, firstToken is null ? 0 : 4, error);

    private static readonly LiveNewInstance[] Added =
    [
        new(1, New1, "h2/gpu0", ServingAtS: 7.5, LoadSeconds: 3.2, "gpu h1/gpu0", 1000),
        new(2, New2, "h3/gpu0", ServingAtS: 8.0, LoadSeconds: 3.4, "gpu h2/gpu0", 1000),
    ];

    [Fact]
    public void Burst_ttft_percentiles_count_only_the_bursts_requests_from_their_scheduled_arrival()
    {
        // Steady TTFTs 0.1 s; burst TTFTs 1..100 ms × 10 (10 ms … 1000 ms): nearest-rank p50 = 500 ms, p99 = 990 ms.
        var log = new List<LiveRequest>
        {
            Request(0, LivePhase.Steady, 0.5, 0.6, Old),
            Request(1, LivePhase.Steady, 1.0, 1.1, Old),
        };
        for (int i = 1; i <= 100; i++) log.Add(Request(1 + i, LivePhase.Burst, 5, 5 + i * 0.01, Old, start: 5.002));

        var figures = LiveFigures.Of(log, scaleAtS: 5, burstEndS: 20, Added);

        Assert.Equal(new Percentiles(500, 990), figures.BurstTtftMs);
        Assert.Equal(new Percentiles(100, 100), figures.SteadyTtftMs);
        Assert.Equal(102, figures.Requests);
        Assert.Equal(100, figures.BurstRequests);
        Assert.Equal(2, figures.MaxStartLagMs, 6);
    }

    [Fact]
    public void The_early_p99_counts_only_the_burst_requests_that_arrived_before_the_first_new_instance_was_whole()
    {
        // 100 burst requests, one every 0.05 s from 5.0 s; the first new instance is whole at 7.5 s (Added), so the 50 that
        // arrived before it count with TTFTs 10, 20, … 500 ms and the 50 after it as 0 (their TTFTs are 2 s, larger than any).
        var log = new List<LiveRequest>();
        for (int i = 0; i < 100; i++)
        {
            double arrival = 5.0 + i * 0.05;
            log.Add(Request(i, LivePhase.Burst, arrival, arrival + (arrival < 7.5 ? (i + 1) * 0.01 : 2.0), Old));
        }

        var figures = LiveFigures.Of(log, scaleAtS: 5, burstEndS: 20, Added);

        // Nearest rank: the 99th of 100 ascending is the 49th early TTFT, 490 ms; the whole burst's p99 is 2 s.
        Assert.Equal(490, figures.EarlyBurstP99TtftMs!.Value, 6);
        Assert.Equal(2000, figures.BurstTtftMs!.P99, 6);
        Assert.Null(LiveFigures.Of(log, 5, 20, [Added[0] with { ServingAtS = null }]).EarlyBurstP99TtftMs);
    }

    [Fact]
    public void First_token_is_the_earliest_token_of_a_request_served_by_a_new_instance_after_the_scale_request()
    {
        var log = new[]
        {
            Request(0, LivePhase.Burst, 5.0, 5.2, Old),
            Request(1, LivePhase.Burst, 5.1, 6.9, New2),
            Request(2, LivePhase.Burst, 5.2, 6.4, New1),
            Request(3, LivePhase.Burst, 5.3, 6.1, New1, error: "failed after a token"),
        };

        var figures = LiveFigures.Of(log, scaleAtS: 5.0, burstEndS: 20, Added);

        Assert.Equal(1.4, figures.FirstTokenS!.Value, 6);
        // The last new instance served at 8.0: full load 3.0 s after the request; share 1.4 / 3.0.
        Assert.Equal(3.0, figures.FullLoadS!.Value, 6);
        Assert.Equal(0.467, figures.FirstTokenShare!.Value, 6);
    }

    [Fact]
    public void Failed_requests_are_counted_and_left_out_of_the_ttft()
    {
        var log = new[]
        {
            Request(0, LivePhase.Burst, 5.0, 5.1, Old),
            Request(1, LivePhase.Burst, 5.0, null, null, error: "TimeoutException: no instance"),
            Request(2, LivePhase.Burst, 5.0, 9.0, Old, error: "not finished when the drain time ran out"),
        };

        var figures = LiveFigures.Of(log, 5.0, 20, Added);

        Assert.Equal(2, figures.Failed);
        Assert.Equal(new Percentiles(100, 100), figures.BurstTtftMs);
    }

    [Fact]
    public void Without_a_token_from_a_new_instance_or_with_one_never_serving_those_figures_are_null()
    {
        var log = new[] { Request(0, LivePhase.Burst, 5.0, 5.5, Old) };
        LiveNewInstance[] notAllServing = [Added[0], Added[1] with { ServingAtS = null }];

        var none = LiveFigures.Of(log, 5.0, 20, notAllServing);

        Assert.Null(none.FirstTokenS);
        Assert.Null(none.FullLoadS);
        Assert.Null(none.FirstTokenShare);
        Assert.False(none.LoadedInBurst);
        Assert.Null(LiveFigures.Of(log, 5.0, 20, []).FullLoadS);
    }

    [Fact]
    public void A_phase_without_a_finished_request_has_no_percentiles()
    {
        var figures = LiveFigures.Of([Request(0, LivePhase.Steady, 1, 1.2, Old)], 5.0, 20, Added);

        Assert.Null(figures.BurstTtftMs);
        Assert.Equal(0, figures.BurstRequests);
    }

    [Fact]
    public void A_load_that_ends_after_the_burst_is_flagged()
    {
        var log = new[] { Request(0, LivePhase.Burst, 5.0, 5.5, Old) };

        // The last new instance serves at 8.0.
        Assert.True(LiveFigures.Of(log, 5.0, burstEndS: 8.5, Added).LoadedInBurst);
        Assert.False(LiveFigures.Of(log, 5.0, burstEndS: 7.9, Added).LoadedInBurst);
    }
}
