using BlitzScale.Cli.Benchmarks;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>A chaos load's time: the shard's own landing time where it reports one, else when a poll saw the load done.</summary>
public sealed class ChaosLoadTests
{
    private static readonly DateTimeOffset Requested = new(2026, 12, 6, 3, 41, 57, TimeSpan.Zero);

    [Fact]
    public void A_load_seen_late_is_timed_by_when_its_last_byte_landed()
    {
        // The run at c8ca0d7: landed 4.23 s after the request, seen at 9.19 s (the shard out of reach after the kill).
        Assert.Equal(4.23, ChaosLoad.Measure(Requested, Requested.AddSeconds(4.23), 9.19));
        Assert.Equal(3.75, ChaosLoad.Measure(Requested, Requested.AddMilliseconds(3750.4), 3.9));
    }

    [Fact]
    public void Without_a_landing_time_within_the_seen_span_the_seen_time_stands()
    {
        Assert.Equal(9.19, ChaosLoad.Measure(Requested, null, 9.19));
        // A landing before the request (an older load of the shard) or after the poll saw it (another clock) is not this load's.
        Assert.Equal(9.19, ChaosLoad.Measure(Requested, Requested.AddSeconds(-1), 9.19));
        Assert.Equal(4.0, ChaosLoad.Measure(Requested, Requested.AddSeconds(5), 4.0));
    }
}
