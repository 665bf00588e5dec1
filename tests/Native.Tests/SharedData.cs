using BlitzScale.Tests.Shared;

namespace BlitzScale.Native.Tests;

/// <summary>The Native tests' view of <see cref="RepositoryPaths"/>.</summary>
internal static class SharedData
{
    public const string SkipMessage = RepositoryPaths.SharedMissing;

    /// <summary>The repository root.</summary>
    public static string RepositoryRoot => RepositoryPaths.Root;

    /// <summary>The stories260K model directory, or null when ../shared is absent.</summary>
    public static string? Stories260K => RepositoryPaths.Stories260K;
}
