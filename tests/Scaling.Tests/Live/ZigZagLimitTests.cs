using BlitzScale.Scaling.Live;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Scaling.Tests.Live;

public sealed class ZigZagLimitTests
{
    private const int Layers = 8;
    private static readonly TimeSpan Calm = TimeSpan.FromMilliseconds(200);

    private readonly FakeTimeProvider _time = new();
    private readonly ZigZagScheduler _scheduler;

    public ZigZagLimitTests() =>
        _scheduler = new ZigZagScheduler(Layers, new ZigZagOptions { InitialLimit = 3, MinLimit = 1, LowerAfter = Calm }, _time);

    // Admits and advances requests to layer `loaded`, where they are blocked.
    private void Block(int loaded, params string[] ids)
    {
        foreach (var id in ids) _scheduler.Admit(id, 10);
        foreach (var advance in _scheduler.PlanAdvance(loaded, int.MaxValue)) _scheduler.Advanced(advance.Id);
    }

    [Fact]
    public void The_limit_drops_by_one_per_calm_period_down_to_the_minimum()
    {
        _scheduler.ObserveLoad(2); // calm starts
        _time.Advance(Calm - TimeSpan.FromTicks(1));
        _scheduler.ObserveLoad(2);
        Assert.Equal(3, _scheduler.Limit);

        _time.Advance(TimeSpan.FromTicks(1));
        _scheduler.ObserveLoad(2);
        Assert.Equal(2, _scheduler.Limit);

        // The calm period restarted at the drop.
        _time.Advance(Calm / 2);
        _scheduler.ObserveLoad(2);
        Assert.Equal(2, _scheduler.Limit);
        _time.Advance(Calm / 2);
        _scheduler.ObserveLoad(2);
        Assert.Equal(1, _scheduler.Limit);

        _time.Advance(Calm * 5);
        _scheduler.ObserveLoad(2);
        Assert.Equal(1, _scheduler.Limit);
    }

    [Fact]
    public void A_queued_request_breaks_the_calm_even_between_two_observations()
    {
        _scheduler.ObserveLoad(2);
        _time.Advance(Calm / 2);
        _scheduler.Admit("a", 10);
        _scheduler.PlanAdvance(2, 100); // it no longer waits, but it did
        _time.Advance(Calm / 2);
        _scheduler.ObserveLoad(2);
        Assert.Equal(3, _scheduler.Limit);

        _time.Advance(Calm);
        _scheduler.ObserveLoad(2);
        Assert.Equal(2, _scheduler.Limit);
    }

    [Fact]
    public void A_waiting_request_keeps_the_limit_up()
    {
        Block(2, "a");
        _scheduler.ObserveLoad(2);
        _time.Advance(Calm * 10);
        _scheduler.ObserveLoad(2);
        Assert.Equal(3, _scheduler.Limit);
    }

    [Fact]
    public void More_blocked_requests_than_the_limit_allows_restore_the_initial_limit()
    {
        _scheduler.ObserveLoad(2);
        _time.Advance(Calm);
        _scheduler.ObserveLoad(2);
        _time.Advance(Calm);
        _scheduler.ObserveLoad(2);
        Assert.Equal(1, _scheduler.Limit);

        Block(2, "a", "b");
        Assert.Equal("a", _scheduler.Pull(2)!.Id);
        Assert.Null(_scheduler.Pull(2)); // the limit holds "b" back
        _scheduler.ObserveLoad(2);

        Assert.Equal(3, _scheduler.Limit);
        Assert.Equal("b", _scheduler.Pull(2)!.Id);
    }

    [Fact]
    public void Blocked_requests_within_the_limit_do_not_restore_it()
    {
        _scheduler.ObserveLoad(2);
        _time.Advance(Calm);
        _scheduler.ObserveLoad(2);
        Assert.Equal(2, _scheduler.Limit);

        Block(2, "a", "b");
        _scheduler.ObserveLoad(2);
        Assert.Equal(2, _scheduler.Limit);

        // Ready requests (next layer loaded) are not waiting on LiveOld and do not count either.
        _scheduler.Admit("c", 10);
        _scheduler.ObserveLoad(2);
        Assert.Equal(2, _scheduler.Limit);
    }

    [Fact]
    public void A_lowered_limit_stops_pulls_until_enough_splits_leave()
    {
        Block(2, "a", "b", "c");
        for (var i = 0; i < 3; i++) Assert.NotNull(_scheduler.Pull(2));
        _scheduler.ObserveLoad(2);
        _time.Advance(Calm);
        _scheduler.ObserveLoad(2);
        _time.Advance(Calm);
        _scheduler.ObserveLoad(2);
        Assert.Equal(1, _scheduler.Limit);

        Block(2, "d");
        Assert.Null(_scheduler.Pull(2));
        _scheduler.Remove("a");
        _scheduler.Remove("b");
        Assert.Null(_scheduler.Pull(2));
        _scheduler.Remove("c");
        Assert.Equal("d", _scheduler.Pull(2)!.Id);
    }
}
