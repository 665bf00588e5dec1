namespace BlitzScale.Tests.Shared;

/// <summary>
/// The repository root and <c>../shared</c> beside it. CI always has <c>../shared</c>; on a bare clone it is absent,
/// and tests that need it skip visibly with <see cref="Missing"/> as the reason. <see cref="SharedVariable"/> moves
/// where <c>../shared</c> is looked for, so a bare clone can be simulated by pointing it at an empty directory.
/// </summary>
internal static class RepositoryPaths
{
    /// <summary>The environment variable that, when set, replaces <c>../shared</c>.</summary>
    public const string SharedVariable = "BLITZSCALE_SHARED";

    private static readonly string[] Stories260KParts = ["models", "stories260K"];

    /// <summary>The first directory above the test binaries that holds BlitzScale.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Where ../shared is looked for: <see cref="SharedVariable"/> if set, else the directory beside the root.</summary>
    public static string SharedRoot { get; } = FindSharedRoot();

    /// <summary>A path under ../shared, or null when it does not exist.</summary>
    public static string? Shared(params string[] parts)
    {
        string path = SharedPath(parts);
        return Directory.Exists(path) || File.Exists(path) ? path : null;
    }

    /// <summary>The stories260K model directory, or null.</summary>
    public static string? Stories260K => Shared(Stories260KParts);

    /// <summary>The skip reason for a missing path under ../shared, naming where it was looked for.</summary>
    public static string Missing(params string[] parts) =>
        $"../shared/{string.Join('/', parts)} not found at {SharedPath(parts)} (set {SharedVariable} or check out ../shared)";

    /// <summary>The skip reason when the stories260K model is missing.</summary>
    public static string Stories260KMissing => Missing(Stories260KParts);

    private static string SharedPath(string[] parts) => Path.GetFullPath(Path.Combine([SharedRoot, .. parts]));

    private static string FindSharedRoot() =>
        Environment.GetEnvironmentVariable(SharedVariable) is { Length: > 0 } overridden
            ? Path.GetFullPath(overridden)
            : Path.GetFullPath(Path.Combine(Root, "..", "shared"));

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
