namespace BlitzScale.Native.Tests;

/// <summary>
/// Finds <c>../shared</c> beside the repository root (CI always has it; a bare clone does not, and the tests
/// that need it then pass while saying so in their output).
/// </summary>
internal static class SharedData
{
    public const string SkipMessage = "../shared not found: skipped";

    /// <summary>The repository root: the first directory above the test binaries that holds BlitzScale.sln.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The stories260K model directory, or null when ../shared is absent.</summary>
    public static string? Stories260K => Existing(Path.Combine(RepositoryRoot, "..", "shared", "models", "stories260K"));

    private static string? Existing(string path) => Directory.Exists(path) ? Path.GetFullPath(path) : null;

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "BlitzScale.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException($"no BlitzScale.sln above {AppContext.BaseDirectory}");
    }
}
