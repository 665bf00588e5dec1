using System.Globalization;

namespace BlitzScale.Native.Compute.Timed;

/// <summary>
/// The time dilation D of an emulated run, and how it was derived. Every emulated compute time is multiplied by D so
/// that the testbed keeps a real cluster's ratio of parameter-load time to compute time: D = (testbed layer load
/// seconds) / (real layer load seconds), where the real load moves the profile's layer over the real link and the
/// testbed moves its stand-in layer over its shaped link. Reports print it (<see cref="ToString"/>).
/// </summary>
/// <param name="ProfileLayerBytes">Bytes of one layer of the profiled model (the profile's <c>layer_bytes_bf16</c>).</param>
/// <param name="RealLinkGbps">The real link the profile's cluster loads over, in Gbit/s (10^9 bits).</param>
/// <param name="TestbedLayerBytes">Bytes of one layer of the testbed's stand-in model.</param>
/// <param name="TestbedLinkMbit">The testbed's shaped link, in Mbit/s (10^6 bits).</param>
public sealed record TimeDilation(long ProfileLayerBytes, double RealLinkGbps, long TestbedLayerBytes, double TestbedLinkMbit)
{
    /// <summary>Seconds to load one profiled layer over the real link.</summary>
    public double RealLayerSeconds => ProfileLayerBytes * 8.0 / (RealLinkGbps * 1e9);

    /// <summary>Seconds to load one stand-in layer over the testbed's link.</summary>
    public double TestbedLayerSeconds => TestbedLayerBytes * 8.0 / (TestbedLinkMbit * 1e6);

    /// <summary>D: testbed layer load time over real layer load time.</summary>
    public double Factor => TestbedLayerSeconds / RealLayerSeconds;

    /// <summary>Derives D from the two loads, checking every input.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An input is not positive and finite.</exception>
    public static TimeDilation Derive(long profileLayerBytes, double realLinkGbps, long testbedLayerBytes, double testbedLinkMbit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(profileLayerBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(testbedLayerBytes);
        ThrowIfInvalid(realLinkGbps, nameof(realLinkGbps));
        ThrowIfInvalid(testbedLinkMbit, nameof(testbedLinkMbit));
        return new TimeDilation(profileLayerBytes, realLinkGbps, testbedLayerBytes, testbedLinkMbit);
    }

    /// <summary>Whether <paramref name="dilation"/> is a usable D: positive and finite.</summary>
    public static bool IsValid(double dilation) => dilation > 0 && double.IsFinite(dilation);

    /// <summary>Throws unless <paramref name="value"/> is positive and finite.</summary>
    /// <exception cref="ArgumentOutOfRangeException">It is not.</exception>
    public static void ThrowIfInvalid(double value, string paramName)
    {
        if (!IsValid(value))
            throw new ArgumentOutOfRangeException(paramName, value, "expected a positive, finite number");
    }

    /// <summary>The derivation in one line, inputs and result.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"D = {Factor:0.###}: testbed layer {TestbedLayerBytes} B over {TestbedLinkMbit:0.###} Mbit/s = {TestbedLayerSeconds * 1e3:0.###} ms" +
        $" / real layer {ProfileLayerBytes} B over {RealLinkGbps:0.###} Gbit/s = {RealLayerSeconds * 1e3:0.###} ms");
}
