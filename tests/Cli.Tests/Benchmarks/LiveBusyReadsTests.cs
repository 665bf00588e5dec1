using BlitzScale.Cli.Benchmarks;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>bench live's reading of how busy each device was while the new instances loaded.</summary>
public sealed class LiveBusyReadsTests
{
    private static InstanceStatus Status(int instance, InstanceState state, double step, double split = 0) =>
        new(instance, $"m/{instance}/0", $"h{instance}/gpu0", state, 32, 32, 0, 0, 0, 0, 0, 0, null, StepSeconds: step, SplitStepSeconds: split);

    [Fact]
    public void A_serving_instance_is_read_between_its_first_and_last_read_and_a_LiveNew_from_the_scale_to_its_last_read_as_one()
    {
        var reads = new LiveBusyReads(scaleAtS: 3.0);
        HashSet<int> serving = [0];

        reads.Read([Status(0, InstanceState.LiveOld, step: 10.0), Status(1, InstanceState.LiveNew, step: 0)], serving, now: 3.5);
        reads.Read([Status(0, InstanceState.LiveOld, step: 11.8, split: 0.6), Status(1, InstanceState.LiveNew, step: 1.0)], serving, now: 5.5);
        // Whole now: its full server's counters start again, and are not read as the LiveNew's.
        reads.Read([Status(0, InstanceState.Serving, step: 12.0, split: 0.9), Status(1, InstanceState.Serving, step: 0.01)], serving, now: 6.0);

        Assert.Equal(
        [
            new LiveBusy(0, "serving", 2.5, 0.8, 0.36),
            new LiveBusy(1, "live-new", 2.5, 0.4, 0),
        ], reads.Figures());
    }

    [Fact]
    public void An_instance_read_once_has_no_span_and_no_figure()
    {
        var reads = new LiveBusyReads(3.0);

        reads.Read([Status(0, InstanceState.Serving, 4.0)], new HashSet<int> { 0 }, 3.4);

        Assert.Empty(reads.Figures());
    }
}
