using BlitzScale.Scaling.Live;

namespace BlitzScale.Scaling.Tests.Live;

public sealed class ZigZagOptionsTests
{
    [Fact]
    public void The_defaults_are_pinned()
    {
        var options = new ZigZagOptions();
        Assert.Equal(16, options.InitialLimit);
        Assert.Equal(1, options.MinLimit);
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.LowerAfter);
        Assert.Equal(SplitMove.Never, options.Move);
        options.Validate();
    }

    [Fact]
    public void An_undefined_move_is_refused_by_name()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(new ZigZagOptions { Move = (SplitMove)7 }.Validate);
        Assert.Equal(nameof(ZigZagOptions.Move), error.ParamName);
        Assert.Contains("expected Never, WhenWaiting or AfterPrompt", error.Message);
    }

    [Theory]
    [InlineData("never", SplitMove.Never)]
    [InlineData(" When-Waiting ", SplitMove.WhenWaiting)]
    [InlineData("after-prompt", SplitMove.AfterPrompt)]
    public void A_rule_is_parsed_by_its_name_in_any_case(string name, SplitMove mode)
    {
        Assert.True(SplitMoves.TryParse(name, out var parsed));
        Assert.Equal(mode, parsed);
    }

    [Theory]
    [InlineData("always")]
    [InlineData("")]
    [InlineData(null)]
    public void Anything_else_is_not_a_rule(string? name)
    {
        Assert.False(SplitMoves.TryParse(name, out _));
        Assert.Equal($"--live-move: expected never, when-waiting or after-prompt, found \"{name}\"", SplitMoves.Refusal("--live-move", name));
    }

    [Theory]
    [InlineData(SplitMove.Never, true, 5, false)]
    [InlineData(SplitMove.WhenWaiting, true, 0, false)]
    [InlineData(SplitMove.WhenWaiting, false, 1, true)]
    [InlineData(SplitMove.WhenWaiting, true, 3, true)]
    [InlineData(SplitMove.AfterPrompt, true, 0, true)]
    [InlineData(SplitMove.AfterPrompt, false, 4, false)]
    public void A_split_request_moves_when_its_rule_says(SplitMove mode, bool promptDone, int waiting, bool moves) =>
        Assert.Equal(moves, SplitMoves.Due(mode, promptDone, waiting));

    [Theory]
    [InlineData(nameof(ZigZagOptions.MinLimit), 4, 0, 200)]
    [InlineData(nameof(ZigZagOptions.InitialLimit), 2, 3, 200)]
    [InlineData(nameof(ZigZagOptions.InitialLimit), 0, 1, 200)]
    [InlineData(nameof(ZigZagOptions.LowerAfter), 4, 1, 0)]
    [InlineData(nameof(ZigZagOptions.LowerAfter), 4, 1, -5)]
    public void Validate_names_the_field_out_of_range_with_what_was_found(string field, int initial, int min, int lowerAfterMs)
    {
        var options = new ZigZagOptions { InitialLimit = initial, MinLimit = min, LowerAfter = TimeSpan.FromMilliseconds(lowerAfterMs) };
        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(field, error.ParamName);
        Assert.Contains("expected", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.ActualValue);
    }

    [Fact]
    public void The_scheduler_refuses_invalid_options()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => new ZigZagScheduler(8, new ZigZagOptions { MinLimit = ZigZagOptions.DefaultInitialLimit + 1 }, TimeProvider.System));
        Assert.Equal(nameof(ZigZagOptions.InitialLimit), error.ParamName);
    }
}
