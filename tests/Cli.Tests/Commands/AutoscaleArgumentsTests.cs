using System.CommandLine;
using BlitzScale.Cli.Commands;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>deploy's autoscaler options and the static policy name: what they send, and the usage errors.</summary>
public sealed class AutoscaleArgumentsTests
{
    private readonly AutoscaleArguments _arguments = new();

    [Fact]
    public void Without_autoscale_no_autoscaler_is_sent()
    {
        Assert.Null(_arguments.Read(Parse(""), staticPolicy: false));
        Assert.Null(_arguments.Read(Parse(""), staticPolicy: true));
    }

    [Fact]
    public void Autoscale_sends_the_given_settings_and_leaves_the_rest_to_the_defaults()
    {
        var settings = _arguments.Read(Parse("--autoscale --min-instances 0 --max-instances 4 --prefill-scale-up 0.8 --scale-down-delay-ms 500"), staticPolicy: false);

        Assert.Equal(new AutoscaleSettings { MinInstances = 0, MaxInstances = 4, PrefillScaleUp = 0.8, ScaleDownDelayMs = 500 }, settings);
    }

    [Fact]
    public void A_tuning_option_without_autoscale_is_a_usage_error_naming_it()
    {
        var error = Assert.Throws<ArgumentException>(() => _arguments.Read(Parse("--max-instances 4"), staticPolicy: false));
        Assert.Equal("--max-instances: tunes the autoscaler, which is off; add --autoscale", error.Message);
    }

    [Fact]
    public void Autoscale_with_the_static_policy_is_a_usage_error()
    {
        var error = Assert.Throws<ArgumentException>(() => _arguments.Read(Parse("--autoscale"), staticPolicy: true));
        Assert.StartsWith("--autoscale: the static policy keeps a fixed instance count", error.Message);
    }

    [Theory]
    [InlineData("static", LoadPolicy.BlitzFast, true)]
    [InlineData("Static", LoadPolicy.BlitzFast, true)]
    [InlineData("blitz", LoadPolicy.Blitz, false)]
    [InlineData("sllm", LoadPolicy.Sllm, false)]
    public void Deploy_policy_names_include_static_as_blitz_fast_loading_with_a_fixed_count(string name, LoadPolicy policy, bool isStatic)
    {
        Assert.Equal((policy, isStatic), LoadPolicyNames.ParseDeploy(name));
    }

    [Fact]
    public void An_unknown_deploy_policy_lists_static_among_the_names()
    {
        var error = Assert.Throws<ArgumentException>(() => LoadPolicyNames.ParseDeploy("fixed"));
        Assert.Equal("--policy: expected blitz, blitz-fast, sllm, allcache or static, found \"fixed\"", error.Message);
    }

    [Fact]
    public void Status_shows_the_autoscaler_and_its_last_decisions_newest_last()
    {
        var at = new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
        var records = Enumerable.Range(0, 7).Select(i => new ScalingRecord(at.AddSeconds(i), i % 2 == 0 ? "up" : "down", i, i + 1, $"reason {i}", $"signals {i}")).ToList();
        var model = new ModelStatus("m", "/m", [], 0, 0, LoadPolicy.Blitz, null, records,
            new AutoscaleSettings { MinInstances = 1, MaxInstances = 8, PrefillScaleDown = 0.5, PrefillScaleUp = 0.7, DecodeScaleDown = 0.75, DecodeScaleUp = 0.95, ScaleDownDelayMs = 333, TickIntervalMs = 100 });
        var text = new StringWriter();

        AutoscaleLines.Write(model, text);

        string output = text.ToString();
        Assert.Contains("autoscaler: 1 to 8 instances, prefill 0.5/0.7, decode 0.75/0.95, scale-down delay 333 ms, tick 100 ms", output);
        Assert.DoesNotContain("reason 1", output);
        Assert.Contains("12:00:02.000 up 2 → 3: reason 2", output);
        Assert.True(output.IndexOf("reason 6", StringComparison.Ordinal) > output.IndexOf("reason 5", StringComparison.Ordinal));
        Assert.Contains("signals 6", output);

        var off = new StringWriter();
        AutoscaleLines.Write(model with { Autoscale = null, Scaling = null }, off);
        Assert.Contains("autoscaler off (fixed instance count)", off.ToString());
    }

    private ParseResult Parse(string args)
    {
        var command = new RootCommand();
        foreach (var option in _arguments.All) command.Options.Add(option);
        return command.Parse(args);
    }
}
