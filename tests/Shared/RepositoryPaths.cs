namespace BlitzScale.Tests.Shared;

/// <summary>
/// The repository root and <c>../shared</c> beside it. CI always has <c>../shared</c>; on a bare clone it is
/// absent, and tests that need it pass while writing <see cref="SharedMissing"/> to their output.
/// </summary>
internal static class RepositoryPaths
{
    public const string SharedMissing = "../shared not found: skipped";

    /// <summary>The first directory above the test binaries that holds BlitzScale.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path under ../shared, or null when it does not exist.</summary>
    public static string? Shared(params string[] parts)
    {
        string path = Path.GetFullPath(Path.Combine([Root, "..", "shared", .. parts]));
        return Directory.Exists(path) || File.Exists(path) ? path : null;
    }

    /// <summary>The stories260K model directory, or null.</summary>
    public static string? Stories260K => Shared("models", "stories260K");

    /// <summary>The copy of stories260K the repository ships as blitz's default model (present on a bare clone too).</summary>
    public static string ShippedStories260K => Path.Combine(Root, "Cli", "DefaultModel", "stories260K");

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "BlitzScale.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException($"no BlitzScale.sln above {AppContext.BaseDirectory}");
    }
}
