using BlitzScale.Grains.Serving.Live;

namespace BlitzScale.Grains.Tests.Live;

/// <summary>The live pair's split-step timing: means per phase, reported once every <see cref="SplitStepTimes.ReportEvery"/> steps.</summary>
public sealed class SplitStepTimesTests
{
    [Fact]
    public void Every_report_gives_the_means_of_the_steps_since_the_last_one()
    {
        var times = new SplitStepTimes(2);

        for (int step = 1; step < SplitStepTimes.ReportEvery; step++) Assert.Null(times.Add(step, 10));
        var first = times.Add(SplitStepTimes.ReportEvery, 10);
        for (int step = 1; step < SplitStepTimes.ReportEvery; step++) Assert.Null(times.Add(1, 2));
        var second = times.Add(1, 2);

        Assert.Equal([(SplitStepTimes.ReportEvery + 1) / 2.0, 10], Assert.IsType<double[]>(first));
        Assert.Equal([1.0, 2.0], Assert.IsType<double[]>(second));
    }
}
