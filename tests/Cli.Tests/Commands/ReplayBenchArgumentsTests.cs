using System.CommandLine;
using BlitzScale.Cli.Benchmarks;
using BlitzScale.Cli.Commands;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>How bench replay and bench chaos set the played rate from the command line: a fitted share, or a given one.</summary>
public sealed class ReplayBenchArgumentsTests
{
    // A --model keeps the parse from creating the synthetic model; nothing here reads it.
    private static ReplayBenchOptions Parse(ReplayBenchArguments arguments, params string[] args)
    {
        var command = new Command("bench");
        arguments.AddTo(command);
        var parse = command.Parse(["--model", "/nowhere/model", .. args]);
        Assert.Empty(parse.Errors);
        return arguments.Options(parse, ["blitz"]);
    }

    [Fact]
    public void Bench_replay_fits_the_share_to_the_peak_by_default()
    {
        var options = Parse(BenchReplayCommand.Arguments());

        Assert.Equal(ReplayBenchOptions.DefaultPeakShare, options.PeakShare);
        Assert.Equal(ReplayBenchOptions.DefaultLoadShare, options.LoadShare);
    }

    [Fact]
    public void A_load_share_given_replaces_the_fit_and_a_peak_share_given_is_used()
    {
        var given = Parse(BenchReplayCommand.Arguments(), "--load-share", "0.1");
        var peak = Parse(BenchReplayCommand.Arguments(), "--peak-share", "0.8");

        Assert.Equal((0.1, (double?)null), (given.LoadShare, given.PeakShare));
        Assert.Equal(0.8, peak.PeakShare);
    }

    [Fact]
    public void Both_shares_given_are_refused_in_words_that_name_them()
    {
        var error = Assert.Throws<ArgumentException>(() => Parse(BenchReplayCommand.Arguments(), "--load-share", "0.1", "--peak-share", "1"));

        Assert.Equal("give --load-share or --peak-share, not both: each sets the played rate", error.Message);
    }

    [Fact]
    public void Bench_chaos_keeps_its_fixed_share_unless_a_peak_share_is_given()
    {
        var options = Parse(BenchChaosCommand.Arguments());
        var fitted = Parse(BenchChaosCommand.Arguments(), "--peak-share", "1");

        Assert.Equal((ChaosOptions.DefaultLoadShare, (double?)null), (options.LoadShare, options.PeakShare));
        Assert.Equal(1.0, fitted.PeakShare);
    }
}
