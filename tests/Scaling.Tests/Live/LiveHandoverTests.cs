using BlitzScale.Scaling.Live;

namespace BlitzScale.Scaling.Tests.Live;

/// <summary>How much of LiveOld's queue its LiveNew partner takes.</summary>
public sealed class LiveHandoverTests
{
    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(1, 0, 0)]   // an idle instance keeps one to admit next
    [InlineData(5, 0, 4)]
    [InlineData(3, 4, 0)]   // the running requests' seats take all the waiting ones
    [InlineData(4, 4, 0)]
    [InlineData(10, 4, 6)]
    [InlineData(64, 8, 56)]
    public void LiveOld_keeps_as_many_waiting_requests_as_it_runs_and_hands_over_the_rest(int waiting, int running, int handed) =>
        Assert.Equal(handed, LiveHandover.ToHandOver(waiting, running));

    [Fact]
    public void Negative_counts_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LiveHandover.ToHandOver(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LiveHandover.ToHandOver(0, -1));
    }
}
