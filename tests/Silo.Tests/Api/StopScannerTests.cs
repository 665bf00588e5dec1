using BlitzScale.Silo.Api;

namespace BlitzScale.Silo.Tests.Api;

public sealed class StopScannerTests
{
    [Fact]
    public void Text_that_may_start_a_stop_string_is_held_until_it_cannot()
    {
        var scanner = new StopScanner(["END"]);
        Assert.Equal("Hello ", scanner.Push("Hello E"));
        Assert.Equal("", scanner.Push("N"));
        Assert.Equal("ENx", scanner.Push("x"));
        Assert.False(scanner.Stopped);
        Assert.Equal("!", scanner.Push("!"));
        Assert.Equal("", scanner.Flush());
    }

    [Fact]
    public void A_stop_string_split_over_pieces_ends_the_text_before_it()
    {
        var scanner = new StopScanner(["\n\n", "END"]);
        Assert.Equal("one", scanner.Push("one\n"));
        Assert.Equal("", scanner.Push("\ntwo"));
        Assert.True(scanner.Stopped);
        Assert.Equal("", scanner.Push("more"));
        Assert.Equal("", scanner.Flush());
    }

    [Fact]
    public void The_earliest_of_several_stop_strings_wins_and_the_rest_is_flushed_without_one()
    {
        var stopped = new StopScanner(["b", "ab"]);
        Assert.Equal("x", stopped.Push("xab"));
        Assert.True(stopped.Stopped);

        var free = new StopScanner(["zz"]);
        Assert.Equal("abc", free.Push("abcz"));
        Assert.Equal("z", free.Flush());
        Assert.Equal("all of it", new StopScanner([]).Push("all of it"));
    }
}
