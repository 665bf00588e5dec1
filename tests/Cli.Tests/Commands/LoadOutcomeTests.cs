using BlitzScale.Cli.Commands;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>The one rule deploy and scale exit by: the instances asked for serve (or, with --no-wait, at least load).</summary>
public sealed class LoadOutcomeTests
{
    private static InstanceStatus Instance(int index, InstanceState state, string? error = null) =>
        new(index, $"m/{index}/0", $"h{index}/gpu0", state, 4, 4, 0, 0, 0, 0, 0, 0, error);

    private static ModelStatus Model(params InstanceStatus[] instances) => new("m", "/models/m", instances, 0, 0);

    [Fact]
    public void Every_instance_serving_is_success()
    {
        Assert.Null(LoadOutcome.Shortfall(Model(Instance(0, InstanceState.Serving), Instance(1, InstanceState.LiveOld)), 2, followed: true));
        // Scaled down to one: the other is Warm, and one was asked for.
        Assert.Null(LoadOutcome.Shortfall(Model(Instance(0, InstanceState.Serving), Instance(1, InstanceState.Warm)), 1, followed: true));
    }

    [Fact]
    public void Failed_instances_are_a_failure_naming_each_and_why()
    {
        var line = LoadOutcome.Shortfall(Model(Instance(0, InstanceState.Failed, "tokenizer.model: the file is empty"), Instance(1, InstanceState.Failed, "source lost")), 2, followed: true);
        Assert.Equal("model \"m\" has 0 of the 2 instance(s) asked for serving (m/0/0 on h0/gpu0 is Failed: tokenizer.model: the file is empty; " +
            "m/1/0 on h1/gpu0 is Failed: source lost). See `blitz status`; `blitz undeploy --model m` removes it", line);
    }

    [Fact]
    public void Inactive_instances_after_a_scale_are_a_failure()
    {
        var line = LoadOutcome.Shortfall(Model(Instance(0, InstanceState.Inactive), Instance(1, InstanceState.Inactive)), 2, followed: true);
        Assert.NotNull(line);
        Assert.Contains("m/0/0 on h0/gpu0 is Inactive", line);
    }

    [Fact]
    public void Without_waiting_a_loading_instance_counts_and_followed_it_does_not()
    {
        var model = Model(Instance(0, InstanceState.Serving), Instance(1, InstanceState.Loading), Instance(2, InstanceState.LiveTail));
        Assert.Null(LoadOutcome.Shortfall(model, 3, followed: false));
        Assert.Contains("1 of the 3", LoadOutcome.Shortfall(model, 3, followed: true));
    }
}
