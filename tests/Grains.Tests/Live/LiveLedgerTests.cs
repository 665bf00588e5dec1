using BlitzScale.Grains.Serving.Live;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Grains.Tests.Live;

/// <summary>A LiveNew's ledger: each request's arrival, pull and first token on fake time, summed up for the log.</summary>
public sealed class LiveLedgerTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly LiveLedger _ledger;

    public LiveLedgerTests() => _ledger = new LiveLedger(_time);

    private void Wait(int milliseconds) => _time.Advance(TimeSpan.FromMilliseconds(milliseconds));

    [Fact]
    public void Split_and_whole_requests_are_counted_with_their_waits()
    {
        _ledger.Arrived("a");
        Wait(100);
        _ledger.Arrived("b");
        Wait(200);
        _ledger.Pulled("a", 3);          // a: 300 ms to its pull
        Wait(100);
        _ledger.FirstToken("a");         // 100 ms after the pull, 400 after arrival
        Wait(500);
        _ledger.Pulled("b", 7);          // b: 800 ms to its pull
        Wait(300);
        _ledger.FirstToken("b");         // 300 ms after the pull, 1,100 after arrival
        _ledger.Arrived("c");
        Wait(50);
        _ledger.FirstToken("c");         // served here alone, 50 ms
        _ledger.Ended("a");
        _ledger.Ended("b");
        _ledger.Ended("c");

        var summary = _ledger.Summary();

        Assert.Equal((3, 2, 1, 0), (summary.Requests, summary.Split, summary.Whole, summary.WithoutFirstToken));
        Assert.Equal((3, 7), summary.SplitLayers);
        Assert.Equal(new LiveWait(550, 800), summary.ArrivalToPull);
        Assert.Equal(new LiveWait(200, 300), summary.PullToFirstToken);
        Assert.Equal(new LiveWait(1550.0 / 3, 1100), summary.ArrivalToFirstToken);
        Assert.Equal(2, summary.MostWaiting);
        Assert.Equal(
            "3 requests: 2 split (at layers 3–7), 1 served here alone, 0 without a first token; arrival to pull mean 550 ms (longest 800), " +
            "pull to first token mean 200 ms (longest 300), arrival to first token mean 517 ms (longest 1100); at most 2 waiting for a first token at once",
            summary.Describe());
    }

    [Fact]
    public void A_request_that_ends_without_a_first_token_stops_waiting_and_is_counted_apart()
    {
        _ledger.Arrived("a");
        _ledger.Arrived("b");
        _ledger.Pulled("a", 2);
        _ledger.Ended("a");              // cancelled after its pull, before its first token
        _ledger.FirstToken("a");         // too late: it has left
        _ledger.Arrived("c");

        var summary = _ledger.Summary();

        Assert.Equal((3, 1, 0, 3), (summary.Requests, summary.Split, summary.Whole, summary.WithoutFirstToken));
        Assert.Null(summary.PullToFirstToken);
        Assert.Null(summary.ArrivalToFirstToken);
        // a left, so c's arrival makes two waiting again, not three.
        Assert.Equal(2, summary.MostWaiting);
        Assert.Contains("1 split (at layer 2)", summary.Describe(), StringComparison.Ordinal);
        Assert.Contains("pull to first token none", summary.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Repeated_or_unknown_events_change_nothing()
    {
        _ledger.Arrived("a");
        Wait(100);
        _ledger.Arrived("a");
        _ledger.Pulled("a", 1);
        Wait(100);
        _ledger.Pulled("a", 5);
        _ledger.FirstToken("a");
        _ledger.FirstToken("a");
        _ledger.Pulled("x", 1);
        _ledger.FirstToken("x");
        _ledger.Ended("x");

        var summary = _ledger.Summary();

        Assert.Equal((1, 1, 1), (summary.Requests, summary.Split, summary.MostWaiting));
        Assert.Equal((1, 1), summary.SplitLayers);
        Assert.Equal(new LiveWait(100, 100), summary.ArrivalToPull);
        Assert.Equal(new LiveWait(200, 200), summary.ArrivalToFirstToken);
    }

    [Fact]
    public void A_split_requests_wait_is_cut_where_it_first_ran_the_landed_layers()
    {
        _ledger.Arrived("a");
        Wait(120);
        _ledger.RanLanded("a");          // its head ran the layers landed: 120 ms here
        Wait(40);
        _ledger.RanLanded("a");          // a layer landed and it ran it: still waiting for the pull
        Wait(60);
        _ledger.Pulled("a", 9);          // 100 ms after it first ran the landed layers
        _ledger.RanLanded("a");          // after the pull: not a wait for it
        _ledger.Arrived("b");
        Wait(30);
        _ledger.RanLanded("b");
        _ledger.FirstToken("b");         // served here alone: not a split request's wait

        var summary = _ledger.Summary();

        Assert.Equal(new LiveWait(120, 120), summary.ArrivalToLanded);
        Assert.Equal(new LiveWait(100, 100), summary.LandedToPull);
        Assert.Contains("arrival to pull mean 220 ms (longest 220) (to running the layers landed then mean 120 ms (longest 120), then to the pull mean 100 ms (longest 100))",
            summary.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_ledger_says_so() => Assert.Equal("no requests", _ledger.Summary().Describe());
}
