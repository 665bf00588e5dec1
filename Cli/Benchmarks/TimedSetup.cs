using BlitzScale.Grains.Hosting;
using BlitzScale.Native.Compute.Timed;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Synthetic;

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
/// <param name="ActivationShare">The share of each activation row a live pair sends (the silos' <c>--activation-share</c>).</param>
/// <param name="ActivationSource">How that share was chosen, for the report.</param>
internal sealed record TimedSetup(CostProfile Profile, double Dilation, string DilationSource, string SiloArgs, double? HostToDeviceMBps = null,
    string? HostToDeviceSource = null, double ActivationShare = 1, string? ActivationSource = null)
{
    /// <summary>The backend in words (every output says it is emulated).</summary>
    public string Backend => TimedEngine.Describe(Profile, Dilation);

    /// <param name="missingProfile">The error when no profile is given: what needs it and how to give it.</param>
    /// <exception cref="ArgumentException">No profile, or a given D out of range.</exception>
    /// <param name="testbed">The testbed's model, whose hidden states a live pair sends.</param>
    /// <param name="activationShare">The share of each activation row sent; null derives it (<see cref="Activations"/>).</param>
    public static TimedSetup Resolve(string? costProfile, string costModel, double? timeDilation, double realLinkGbps, long layerBytes, int linkMbit,
        string missingProfile, LlamaConfig? testbed = null, double? activationShare = null)
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
        var (share, shareSource) = activationShare switch
        {
            null => Activations(profile, layerBytes, testbed),
            { } chosen when GpuHostOptions.IsActivationShare(chosen) => (chosen, "given (--activation-share)"),
            { } chosen => throw new ArgumentException($"--activation-share: expected a share in (0, 1], found {chosen}"),
        };
        if (share < 1) args += FormattableString.Invariant($" --activation-share {share}");
        var pcie = HostToDevice(profile, realLinkGbps, linkMbit);
        if (pcie is { } copy) args += FormattableString.Invariant($" --host-to-device-mbps {copy.MBps}");
        return new TimedSetup(profile, d, source, args, pcie?.MBps, pcie?.Source, share, shareSource);
    }

    /// <summary>
    /// The share of each hidden-state row a live pair sends on the testbed, so that its activations keep the real model's
    /// proportion to its parameters, as D keeps it for the links: the real model's hidden row in bf16 over the testbed's in
    /// f32, times the testbed's layer bytes over the real layer's (llama3-8b and llama3-8b-narrow: 8 KB over 2 KB, times 1/32:
    /// 0.125). 1 where the profile's model has no known shape, the testbed's model is not given, or the share would exceed 1.
    /// </summary>
    internal static (double Share, string Source) Activations(CostProfile profile, long layerBytes, LlamaConfig? testbed)
    {
        if (testbed is null) return (1, "every value (no testbed model given)");
        LlamaConfig real;
        try
        {
            real = SyntheticShapes.Get(profile.Model);
        }
        catch (ArgumentException)
        {
            return (1, $"every value (no known shape for the profile's model \"{profile.Model}\")");
        }
        double rowRatio = real.HiddenSize * 2.0 / (testbed.HiddenSize * 4.0);
        double layerRatio = (double)layerBytes / profile.LayerBytes;
        double share = Math.Round(rowRatio * layerRatio, 4);
        string why = FormattableString.Invariant(
            $"the real {profile.Model} row of {real.HiddenSize} bf16 values is {rowRatio:0.###} × the testbed's {testbed.HiddenSize} f32, its layer {1 / layerRatio:0.##} × the testbed's");
        return share >= 1 ? (1, $"every value ({why})") : (share, FormattableString.Invariant($"{share} of each row: {why}"));
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
