using BlitzScale.Cli.Benchmarks;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>The seeded open-loop arrival schedule every policy of one run replays.</summary>
public sealed class LiveScheduleTests
{
    [Fact]
    public void Each_phase_has_rate_times_seconds_arrivals_inside_its_window()
    {
        var schedule = LiveSchedule.Build(steadyRps: 5, steadySeconds: 3, burstRps: 40, burstSeconds: 2.5, seed: 7);

        var steady = schedule.Arrivals.Where(a => a.Phase == LivePhase.Steady).ToList();
        var burst = schedule.Arrivals.Where(a => a.Phase == LivePhase.Burst).ToList();
        Assert.Equal(15, steady.Count);
        Assert.Equal(100, burst.Count);
        Assert.All(steady, a => Assert.InRange(a.AtSeconds, 0, 3 - 1e-12));
        Assert.All(burst, a => Assert.InRange(a.AtSeconds, 3, 5.5 - 1e-12));
        Assert.Equal(3, schedule.BurstStartSeconds);
        Assert.Equal(5.5, schedule.EndSeconds);
    }

    [Fact]
    public void Arrivals_are_in_time_order_and_indexed_in_that_order()
    {
        var schedule = LiveSchedule.Build(10, 2, 30, 2, seed: 3);

        Assert.Equal(Enumerable.Range(0, schedule.Arrivals.Count), schedule.Arrivals.Select(a => a.Index));
        Assert.Equal(schedule.Arrivals.Select(a => a.AtSeconds).Order(), schedule.Arrivals.Select(a => a.AtSeconds));
    }

    [Fact]
    public void The_same_seed_gives_the_same_schedule_and_another_seed_another()
    {
        var a = LiveSchedule.Build(10, 2, 30, 2, seed: 11);
        var b = LiveSchedule.Build(10, 2, 30, 2, seed: 11);
        var c = LiveSchedule.Build(10, 2, 30, 2, seed: 12);

        Assert.Equal(a.Arrivals, b.Arrivals);
        Assert.NotEqual(a.Arrivals.Select(x => x.AtSeconds), c.Arrivals.Select(x => x.AtSeconds));
    }

    [Fact]
    public void Arrivals_are_spread_over_the_window_not_bunched_as_a_closed_loop_would_be()
    {
        // Open loop: the times are fixed in advance at the rate asked, whatever the service does; each half of the burst
        // gets about half of its arrivals.
        var schedule = LiveSchedule.Build(0, 0, 200, 10, seed: 5);

        int firstHalf = schedule.Arrivals.Count(a => a.AtSeconds < 5);
        Assert.Equal(2000, schedule.Arrivals.Count);
        Assert.InRange(firstHalf, 900, 1100);
        Assert.True(schedule.Arrivals.Zip(schedule.Arrivals.Skip(1)).All(p => p.Second.AtSeconds - p.First.AtSeconds < 0.1),
            "no gap of 20 mean interarrival times in a Poisson schedule of this size");
    }

    [Fact]
    public void A_longer_steady_phase_leaves_the_bursts_arrivals_where_they_were_relative_to_its_start()
    {
        var shortSteady = LiveSchedule.Build(4, 1, 20, 2, seed: 9);
        var longSteady = LiveSchedule.Build(4, 3, 20, 2, seed: 9);

        var before = shortSteady.Arrivals.Where(a => a.Phase == LivePhase.Burst).Select(a => a.AtSeconds - shortSteady.BurstStartSeconds).ToList();
        var after = longSteady.Arrivals.Where(a => a.Phase == LivePhase.Burst).Select(a => a.AtSeconds - longSteady.BurstStartSeconds).ToList();
        Assert.Equal(40, before.Count);
        Assert.Equal(before, after, (x, y) => Math.Abs(x - y) < 1e-9);
    }

    [Fact]
    public void A_phase_of_rate_zero_has_no_arrivals()
    {
        var schedule = LiveSchedule.Build(0, 3, 10, 1, seed: 1);

        Assert.All(schedule.Arrivals, a => Assert.Equal(LivePhase.Burst, a.Phase));
        Assert.Equal(10, schedule.Arrivals.Count);
    }

    [Theory]
    [InlineData(-1, 1, 1, 1)]
    [InlineData(1, -1, 1, 1)]
    [InlineData(1, 1, double.NaN, 1)]
    [InlineData(1, 1, 1, double.PositiveInfinity)]
    public void A_negative_or_non_finite_rate_or_length_is_refused(double steadyRps, double steadySeconds, double burstRps, double burstSeconds) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => LiveSchedule.Build(steadyRps, steadySeconds, burstRps, burstSeconds, 1));
}
