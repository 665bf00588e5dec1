using BlitzScale.Cli.Replay;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Replay;

/// <summary>The plan cut in two: what needs no model (checked before a cluster is reached), then the schedule.</summary>
public sealed class ReplayPlanTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ReplayPlanOptions Options(double? timeScale = null, double? rate = null, int? maxPrompt = null, int? maxOutput = null, double tokenScale = 1)
    {
        string path = _dir.File("azure.csv");
        File.WriteAllText(path, """
            TIMESTAMP,ContextTokens,GeneratedTokens
            2023-11-16 18:17:03.0000000,400,10
            2023-11-16 18:17:04.0000000,48,3
            2023-11-16 18:17:06.0000000,900,20

            """);
        return new ReplayPlanOptions(path, null, null, null, false, timeScale, rate, maxPrompt, maxOutput, tokenScale);
    }

    [Fact]
    public void The_cut_and_the_schedule_built_from_it_are_what_one_build_gives()
    {
        var options = Options(timeScale: 0.5, maxPrompt: 500);

        var cut = ReplayPlan.Cut(options);
        var plan = ReplayPlan.Build(options, cut, contextTokens: 1024);
        var once = ReplayPlan.Build(options, contextTokens: 1024);

        Assert.Equal(3, cut.Window.Requests);
        Assert.Equal([0, 0.5, 1.5], plan.Schedule.Arrivals.Select(a => a.AtSeconds));
        Assert.Equal([400, 48, 500], plan.Schedule.Arrivals.Select(a => a.PromptTokens));
        Assert.Equal(once.Schedule.Arrivals, plan.Schedule.Arrivals);
    }

    [Theory]
    [InlineData(0.0, null, null, null, 1.0, "--time-scale must be > 0, found 0")]
    [InlineData(null, -2.0, null, null, 1.0, "--rate must be > 0 requests/s, found -2")]
    [InlineData(null, null, 0, null, 1.0, "--max-prompt-tokens must be ≥ 1, found 0")]
    [InlineData(null, null, null, -1, 1.0, "--max-output-tokens must be ≥ 1, found -1")]
    [InlineData(null, null, null, null, 0.0, "--token-scale must be > 0, found 0")]
    public void The_cut_refuses_a_value_no_model_could_make_right(double? timeScale, double? rate, int? maxPrompt, int? maxOutput, double tokenScale, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => ReplayPlan.Cut(Options(timeScale, rate, maxPrompt, maxOutput, tokenScale)));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Caps_that_only_the_models_context_rules_out_pass_the_cut_and_fail_the_schedule()
    {
        var options = Options(maxPrompt: 900, maxOutput: 200);

        var cut = ReplayPlan.Cut(options);
        var error = Assert.Throws<ArgumentException>(() => ReplayPlan.Build(options, cut, contextTokens: 1024));

        Assert.Equal("--max-prompt-tokens 900 + --max-output-tokens 200 = 1100 exceeds the model's context of 1024", error.Message);
    }
}
