using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Serving;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>
/// A shard's count of one stream: the updates handed out, and how long the last has waited for the caller's next ask, which
/// the stream watch reads after a silo died to tell a caller's lost ask from a stream waiting for its next token.
/// </summary>
public sealed class StreamTallyTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_new_stream_has_handed_out_nothing_and_waits_for_no_ask()
    {
        Assert.Equal(new StreamPosition(0, 0), new StreamTally(_time).Position);
    }

    [Fact]
    public void An_update_handed_out_waits_for_the_next_ask_until_it_comes()
    {
        var tally = new StreamTally(_time);

        tally.HandedOut();
        _time.Advance(TimeSpan.FromSeconds(2.5));
        Assert.Equal(new StreamPosition(1, 2.5), tally.Position);

        tally.Asked();
        _time.Advance(TimeSpan.FromSeconds(4));
        // Asked: the stream now waits for its instance's next token, however long that takes.
        Assert.Equal(new StreamPosition(1, 0), tally.Position);

        tally.HandedOut();
        tally.Asked();
        tally.HandedOut();
        _time.Advance(TimeSpan.FromMilliseconds(300));
        // The wait counts from the last update handed out.
        Assert.Equal(new StreamPosition(3, 0.3), tally.Position);
    }
}
