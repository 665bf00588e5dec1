using BlitzScale.Native.Compute.Timed;

namespace BlitzScale.Native.Tests.Compute.Timed;

/// <summary>Deriving D from the real and the testbed layer loads, and printing the derivation.</summary>
public sealed class TimeDilationTests
{
    [Fact]
    public void D_is_the_testbed_layer_load_time_over_the_real_one()
    {
        // A llama3-8b layer over 100 Gbit/s takes 34.9 ms; a 22.5 MB stand-in layer over 1 Gbit/s takes 180 ms.
        var d = TimeDilation.Derive(profileLayerBytes: 436_207_616, realLinkGbps: 100, testbedLayerBytes: 22_500_000, testbedLinkMbit: 1000);
        Assert.Equal(436_207_616 * 8.0 / 100e9, d.RealLayerSeconds, 1e-12);
        Assert.Equal(0.18, d.TestbedLayerSeconds, 1e-12);
        Assert.Equal(0.18 / (436_207_616 * 8.0 / 100e9), d.Factor, 1e-9);
        Assert.InRange(d.Factor, 5.1, 5.2);
    }

    [Fact]
    public void The_derivation_prints_its_inputs_and_its_result()
    {
        var d = TimeDilation.Derive(436_207_616, 100, 22_500_000, 1000);
        Assert.Equal("D = 5.158: testbed layer 22500000 B over 1000 Mbit/s = 180 ms / real layer 436207616 B over 100 Gbit/s = 34.897 ms", d.ToString());
    }

    [Fact]
    public void Equal_load_times_give_no_dilation()
    {
        var d = TimeDilation.Derive(1000, realLinkGbps: 8, testbedLayerBytes: 1, testbedLinkMbit: 8);
        Assert.Equal(1.0, d.Factor, 1e-12);
    }

    [Theory]
    [InlineData(0L, 100.0, 1L, 1.0)]
    [InlineData(1L, 0.0, 1L, 1.0)]
    [InlineData(1L, 100.0, -1L, 1.0)]
    [InlineData(1L, 100.0, 1L, double.NaN)]
    public void Inputs_that_are_not_positive_are_refused(long profileBytes, double gbps, long testbedBytes, double mbit) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TimeDilation.Derive(profileBytes, gbps, testbedBytes, mbit));
}
