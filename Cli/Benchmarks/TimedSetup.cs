using BlitzScale.Native.Compute.Timed;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// The timed backend of a testbed bench: the cost profile's row, and the dilation D (given, or derived so the testbed's
/// link keeps the real cluster's proportion of transfer to compute), with the silo options that carry them.
/// </summary>
/// <param name="Profile">The profile's row.</param>
/// <param name="Dilation">D, rounded to 3 decimals when derived.</param>
/// <param name="DilationSource">How D was chosen, for the report.</param>
/// <param name="SiloArgs">The silo options after <c>--backend timed</c>: profile, row and D.</param>
internal sealed record TimedSetup(CostProfile Profile, double Dilation, string DilationSource, string SiloArgs)
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
        return new TimedSetup(profile, d, source, FormattableString.Invariant($"--cost-profile {profile.Path} --cost-model {profile.Model} --time-dilation {d}"));
    }
}
