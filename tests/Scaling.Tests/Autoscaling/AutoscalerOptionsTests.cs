using BlitzScale.Scaling.Autoscaling;

namespace BlitzScale.Scaling.Tests.Autoscaling;

/// <summary>The policy's defaults (the paper's) and the errors for out-of-range fields.</summary>
public sealed class AutoscalerOptionsTests
{
    [Fact]
    public void Defaults_are_the_papers_thresholds_and_delay()
    {
        var options = new AutoscalerOptions();
        Assert.Equal((0.5, 0.7, 0.75, 0.95), (options.PrefillScaleDown, options.PrefillScaleUp, options.DecodeScaleDown, options.DecodeScaleUp));
        Assert.Equal(TimeSpan.FromMilliseconds(333), options.ScaleDownDelay);
        Assert.Equal((1, 8), (options.MinInstances, options.MaxInstances));
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.TickInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), options.WarmUp);
        Assert.Equal(TimeSpan.FromSeconds(30), options.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), options.PrefillWindow);
        options.Validate();
    }

    [Theory]
    [InlineData(0.8, 0.7, 0.75, 0.95, 1, 8, "PrefillScaleDown: expected below PrefillScaleUp (0.7), found 0.8")]
    [InlineData(0.5, 1.5, 0.75, 0.95, 1, 8, "PrefillScaleUp: expected a share of capacity in (0, 1], found 1.5")]
    [InlineData(0.5, 0.7, 0.95, 0.95, 1, 8, "DecodeScaleDown: expected below DecodeScaleUp (0.95), found 0.95")]
    [InlineData(0.5, 0.7, 0.75, 0.95, -1, 8, "MinInstances: expected 0 to 256, found -1")]
    [InlineData(0.5, 0.7, 0.75, 0.95, 4, 3, "MaxInstances: expected 4 (MinInstances or 1) to 256, found 3")]
    [InlineData(0.5, 0.7, 0.75, 0.95, 0, 0, "MaxInstances: expected 1 (MinInstances or 1) to 256, found 0")]
    public void A_bad_field_is_named_with_what_was_expected_and_found(double pDown, double pUp, double dDown, double dUp, int min, int max, string message)
    {
        var options = new AutoscalerOptions
        {
            PrefillScaleDown = pDown, PrefillScaleUp = pUp, DecodeScaleDown = dDown, DecodeScaleUp = dUp, MinInstances = min, MaxInstances = max,
        };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void A_zero_tick_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(new AutoscalerOptions { TickInterval = TimeSpan.Zero }.Validate);
        Assert.Contains("TickInterval: expected a positive duration, found 0 ms", error.Message);
    }
}
