using BlitzScale.Native.Compute.Timed;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// The timed backend of a testbed bench: the cost profile's row, and the dilation D (given, or derived so the testbed's
/// link keeps the real cluster's proportion of transfer to compute), with the silo options that carry them.
/// </summary>
/// <param name="Profile">The profile's row.</param>
/// <param name="Dilation">D, rounded to 3 decimals when derived.</param>
/// <param name="DilationSource">How D was chosen, for the report.</param>
/// <param name="SiloArgs">The silo options after <c>--backend timed</c>: profile, row and D, and the host-to-GPU copy rate.</param>
/// <param name="HostToDeviceMBps">The emulated PCIe rate of a copy from a host's memory into a GPU, or null when the profile has none.</param>
/// <param name="HostToDeviceSource">How that rate was derived, for the report.</param>
internal sealed record TimedSetup(CostProfile Profile, double Dilation, string DilationSource, string SiloArgs, double? HostToDeviceMBps = null,
    string? HostToDeviceSource = null)
{
    /// <summary>The backend in words (every output says it is emulated).</summary>
    public string Backend => TimedEngine.Describe(Profile, Dilation);

    /// <param name="missingProfile">The error when no profile is given: what needs it and how to give it.</param>
    /// <exception cref="ArgumentException">No profile, or a given D out of range.</exception>
    public static TimedSetup Resolve(string? costProfile, string costModel, double? timeDilation, double realLinkGbps, long layerBytes, int linkMbit,
        string missingProfile)
    {
        var profile = CostProfile.Load(Path.GetFullPath(costProfile ?? throw new ArgumentException(missingProfile)), costModel);
        double d;
        string source;
        if (timeDilation is { } given)
        {
            TimeDilation.ThrowIfInvalid(given, "--time-dilation");
            (d, source) = (given, "given (--time-dilation)");
        }
        else
        {
            var derived = TimeDilation.Derive(profile.LayerBytes, realLinkGbps, layerBytes, linkMbit);
            (d, source) = (Math.Round(derived.Factor, 3), $"derived: {derived}");
        }
        string args = FormattableString.Invariant($"--cost-profile {profile.Path} --cost-model {profile.Model} --time-dilation {d}");
        if (HostToDevice(profile, realLinkGbps, linkMbit) is not { } pcie) return new TimedSetup(profile, d, source, args);
        return new TimedSetup(profile, d, source, args + FormattableString.Invariant($" --host-to-device-mbps {pcie.MBps}"), pcie.MBps, pcie.Source);
    }

    /// <summary>
    /// The testbed's host-to-GPU rate: the profile's device copies from pinned memory at h2d GB/s where the real cluster's link
    /// carries <paramref name="realLinkGbps"/>, so on the testbed's link of <paramref name="linkMbit"/> a copy from a host's
    /// memory keeps the same proportion to a network transfer (the H200: 55.4 GB/s against 12.5 GB/s, 4.43 ×).
    /// </summary>
    internal static (double MBps, string Source)? HostToDevice(CostProfile profile, double realLinkGbps, int linkMbit)
    {
        if (profile.HostToDeviceGBps is not { } h2d) return null;
        double ratio = h2d / (realLinkGbps / 8);
        double rate = Math.Round(linkMbit / 8.0 * ratio, 1);
        return (rate, FormattableString.Invariant(
            $"{rate} MB/s: the profile's host-to-GPU copy from pinned memory, {h2d:0.#} GB/s, is {ratio:0.##} × the real link's {realLinkGbps / 8:0.##} GB/s; the testbed's link is {linkMbit / 8.0:0.#} MB/s"));
    }
}
