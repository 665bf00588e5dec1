using BlitzScale.Scaling.Live;

namespace BlitzScale.Scaling.Tests.Live;

/// <summary>How much of LiveOld's queue its LiveNew partner takes.</summary>
public sealed class LiveHandoverTests
{
    [Theory]
    [InlineData(0, 0, 0, 0)]
    [InlineData(1, 0, 0, 0)]    // an idle instance keeps one to admit next
    [InlineData(5, 0, 0, 1)]    // and hands over at most one at a time
    [InlineData(3, 4, 0, 0)]    // the running requests' seats take all the waiting ones
    [InlineData(4, 4, 0, 0)]
    [InlineData(10, 4, 0, 4)]   // beyond those: as many as it runs
    [InlineData(10, 4, 3, 1)]   // less those handed over and not finished
    [InlineData(10, 4, 4, 0)]
    [InlineData(10, 4, 6, 0)]   // the partner's share shrank with LiveOld's running count: none until it is back under
    [InlineData(64, 8, 0, 8)]
    [InlineData(12, 8, 0, 4)]
    public void LiveOld_keeps_as_many_waiting_as_it_runs_and_hands_over_at_most_as_many_again(int waiting, int running, int handedOut, int handed) =>
        Assert.Equal(handed, LiveHandover.ToHandOver(waiting, running, handedOut));

    [Fact]
    public void Negative_counts_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LiveHandover.ToHandOver(-1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LiveHandover.ToHandOver(0, -1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LiveHandover.ToHandOver(0, 0, -1));
    }

    [Theory]
    [InlineData(40, 16, 56, 16, 20)]  // half the difference in open requests goes
    [InlineData(40, 16, 56, 56, 0)]   // as many open on both: none
    [InlineData(40, 16, 56, 70, 0)]   // the partner has more: none
    [InlineData(10, 16, 100, 0, 0)]   // no more than the waiting ones the running ones will not seat
    [InlineData(20, 16, 100, 0, 4)]
    [InlineData(5, 0, 5, 0, 2)]       // an idle LiveOld keeps one
    [InlineData(0, 0, 0, 0, 0)]
    public void At_the_pairs_end_LiveOld_hands_over_half_the_difference_in_open_requests_beyond_its_seats(int waiting, int running, int oldOpen, int newOpen, int handed) =>
        Assert.Equal(handed, LiveHandover.AtPairEnd(waiting, running, oldOpen, newOpen));

    [Fact]
    public void Negative_counts_are_refused_at_the_pairs_end()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LiveHandover.AtPairEnd(-1, 0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LiveHandover.AtPairEnd(0, -1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LiveHandover.AtPairEnd(0, 0, -1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LiveHandover.AtPairEnd(0, 0, 0, -1));
    }
}
