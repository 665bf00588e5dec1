using BlitzScale.Grains.Serving.Live;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Grains.Tests.Live;

/// <summary>A LiveOld's pull ledger: each pull's phases and the loop's idle time on fake time, summed up for the log.</summary>
public sealed class PullLedgerTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly PullLedger _ledger;

    public PullLedgerTests()
    {
        _ledger = new PullLedger(_time);
        _ledger.Paired();
    }

    private void Wait(int milliseconds) => _time.Advance(TimeSpan.FromMilliseconds(milliseconds));

    [Fact]
    public void A_pulls_phases_are_timed_from_the_wait_for_room_to_its_first_step()
    {
        _ledger.Held();
        Wait(30);
        _ledger.Held();                  // still held: the wait goes on from the first
        Wait(30);
        _ledger.PullStarted();           // held 60 ms
        Wait(10);
        _ledger.PullReturned("a");       // the call: 10 ms
        Wait(20);
        _ledger.StepArrived("a");        // its hidden states: 20 ms after the pull
        Wait(40);
        _ledger.StepStarted("a");        // 40 ms waiting for a step
        Wait(70);
        _ledger.StepEnded("a");          // the step: 70 ms
        _ledger.PullStarted();           // not held: no wait for room counted
        Wait(30);
        _ledger.PullReturned(null);      // nothing to pull

        var summary = _ledger.Summary();

        Assert.Equal((1, 1), (summary.Pulled, summary.Empty));
        Assert.Equal(new LiveWait(60, 60), summary.HeldForRoom);
        Assert.Equal(new LiveWait(20, 30), summary.PullCall);
        Assert.Equal(new LiveWait(20, 20), summary.PullToArrival);
        Assert.Equal(new LiveWait(40, 40), summary.ArrivalToStep);
        Assert.Equal(new LiveWait(70, 70), summary.FirstStep);
        Assert.Equal(
            "1 pulled, 1 pulls found none; held for room mean 60 ms (longest 60), pull call mean 20 ms (longest 30), " +
            "pull to first step arriving mean 20 ms (longest 20), arrival to its step mean 40 ms (longest 40), the step mean 70 ms (longest 70); idle 0.00 s of 0.23 s paired",
            summary.Describe());
    }

    [Fact]
    public void Idle_time_counts_only_while_paired()
    {
        _ledger.Idle();
        Wait(100);
        _ledger.Idle();                  // still idle: from the first
        Wait(100);
        _ledger.Busy();                  // 200 ms idle
        Wait(300);
        _ledger.Idle();
        Wait(50);
        _ledger.Unpaired();              // 50 ms more; 550 ms paired
        _ledger.Idle();
        Wait(1000);                      // unpaired: not counted
        _ledger.Busy();

        var summary = _ledger.Summary();

        Assert.Equal(0.25, summary.IdleSeconds, 6);
        Assert.Equal(0.55, summary.PairedSeconds, 6);
    }

    [Fact]
    public void Steps_of_unknown_or_repeated_requests_change_nothing()
    {
        _ledger.StepArrived("x");
        _ledger.StepStarted("x");
        _ledger.StepEnded("x");
        _ledger.PullStarted();
        _ledger.PullReturned("a");
        _ledger.StepStarted("a");        // before its step arrived: ignored
        Wait(10);
        _ledger.StepArrived("a");
        Wait(10);
        _ledger.StepArrived("a");        // a later step of the request: only the first counts
        _ledger.StepStarted("a");
        Wait(5);
        _ledger.StepEnded("a");
        _ledger.StepEnded("a");

        var summary = _ledger.Summary();

        Assert.Equal(new LiveWait(10, 10), summary.PullToArrival);
        Assert.Equal(new LiveWait(10, 10), summary.ArrivalToStep);
        Assert.Equal(new LiveWait(5, 5), summary.FirstStep);
        Assert.Null(summary.HeldForRoom);
    }

    [Fact]
    public void A_new_pair_starts_the_counts_again()
    {
        _ledger.PullStarted();
        _ledger.PullReturned("a");
        _ledger.Idle();
        Wait(100);
        _ledger.Unpaired();
        _ledger.Paired();

        var summary = _ledger.Summary();

        Assert.Equal((0, 0, 0.0), (summary.Pulled, summary.Empty, summary.IdleSeconds));
        Assert.Null(summary.PullCall);
    }
}
