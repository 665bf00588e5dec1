using BlitzScale.Grains.Serving.Live;

namespace BlitzScale.Grains.Tests.Live;

/// <summary>The live pair's split-step timing: the first step alone, then means per phase every <see cref="SplitStepTimes.ReportEvery"/> steps, with the JIT time of each window.</summary>
public sealed class SplitStepTimesTests
{
    [Fact]
    public void The_first_step_is_reported_alone_then_every_report_gives_the_means_of_the_steps_since_the_last_one()
    {
        var jit = TimeSpan.FromMilliseconds(100);
        var times = new SplitStepTimes(2, () => jit);
        times.Start();
        jit += TimeSpan.FromMilliseconds(40);

        var alone = times.Add(7, 9);
        for (int step = 1; step < SplitStepTimes.ReportEvery; step++) Assert.Null(times.Add(step, 10));
        jit += TimeSpan.FromMilliseconds(3);
        var first = times.Add(SplitStepTimes.ReportEvery, 10);
        for (int step = 1; step < SplitStepTimes.ReportEvery; step++) Assert.Null(times.Add(1, 2));
        var second = times.Add(1, 2);

        Assert.Equal(new SplitStepReport(1, [7.0, 9.0], 40), alone, SameReport);
        Assert.Equal(new SplitStepReport(SplitStepTimes.ReportEvery, [(SplitStepTimes.ReportEvery + 1) / 2.0, 10], 3), first, SameReport);
        Assert.Equal(new SplitStepReport(SplitStepTimes.ReportEvery, [1.0, 2.0], 0), second, SameReport);
    }

    [Fact]
    public void Without_a_start_the_jit_count_starts_at_the_first_step()
    {
        var jit = TimeSpan.FromMilliseconds(500);
        var times = new SplitStepTimes(1, () => jit);

        var alone = times.Add(1);

        Assert.Equal(0, Assert.IsType<SplitStepReport>(alone).JitMilliseconds);
    }

    private static bool SameReport(SplitStepReport? a, SplitStepReport? b) =>
        a is not null && b is not null && a.Steps == b.Steps && a.Means.SequenceEqual(b.Means) && a.JitMilliseconds == b.JitMilliseconds;
}
