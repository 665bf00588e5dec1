using System.CommandLine;
using BlitzScale.Cli.Benchmarks;
using BlitzScale.Cli.Commands;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>How bench replay and bench chaos set the played rate from the command line: a fitted share, or a given one.</summary>
public sealed class ReplayBenchArgumentsTests
{
    // A --model keeps the parse from creating the synthetic model; nothing here reads it. The trace must exist (it is checked
    // before anything starts) but is not read: this file stands in for it.
    private static ReplayBenchOptions Parse(ReplayBenchArguments arguments, params string[] args)
    {
        var command = new Command("bench");
        arguments.AddTo(command);
        string[] trace = args.Contains("--trace") ? [] : ["--trace", typeof(ReplayBenchArgumentsTests).Assembly.Location];
        var parse = command.Parse(["--model", "/nowhere/model", .. trace, .. args]);
        Assert.Empty(parse.Errors);
        return arguments.Options(parse, ["blitz"]);
    }

    [Fact]
    public void A_missing_trace_an_unknown_format_and_an_unwritable_report_are_refused_before_anything_starts()
    {
        string missingFolder = Path.Combine(Path.GetTempPath(), $"blitz-no-such-folder-{Guid.NewGuid():N}");

        var trace = Assert.Throws<FileNotFoundException>(() => Parse(BenchChaosCommand.Arguments(), "--trace", "/nowhere/trace.csv"));
        var format = Assert.Throws<ArgumentException>(() => Parse(BenchReplayCommand.Arguments(), "--format", "csv"));
        var json = Assert.Throws<ArgumentException>(() => Parse(BenchChaosCommand.Arguments(), "--json", Path.Combine(missingFolder, "chaos.json")));
        var plot = Assert.Throws<ArgumentException>(() => Parse(BenchReplayCommand.Arguments(), "--plot", Path.Combine(missingFolder, "replay.png")));

        Assert.Equal("--trace /nowhere/trace.csv: no such file", trace.Message);
        Assert.Contains("--format", format.Message);
        Assert.Equal($"--json {Path.Combine(missingFolder, "chaos.json")}: the folder {missingFolder} does not exist", json.Message);
        Assert.StartsWith($"--plot {Path.Combine(missingFolder, "replay.png")}: the folder", plot.Message);
    }

    [Fact]
    public void Bench_replay_caps_prompts_by_the_model_and_bench_chaos_keeps_its_512_on_stories110m()
    {
        // bench replay: no cap yet; ReplayBenchSetup takes the paper's 4,095 within the model's context once it has read it.
        Assert.Null(Parse(BenchReplayCommand.Arguments()).Plan.MaxPromptTokens);
        Assert.Equal(2048, Parse(BenchReplayCommand.Arguments(), "--max-prompt-tokens", "2048").Plan.MaxPromptTokens);
        Assert.Equal(ChaosOptions.DefaultMaxPromptTokens, Parse(BenchChaosCommand.Arguments()).Plan.MaxPromptTokens);

        var replayShape = BenchReplayCommand.Arguments().Shape;
        var chaosShape = BenchChaosCommand.Arguments().Shape;
        var command = new Command("bench") { replayShape };
        Assert.Equal("llama3-8b-narrow", command.Parse([]).GetValue(replayShape));
        command = new Command("bench") { chaosShape };
        Assert.Equal("stories110m", command.Parse([]).GetValue(chaosShape));
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
