using BlitzScale.Tests.Shared;

namespace BlitzScale.Native.Tests;

/// <summary>The Native tests' view of <see cref="RepositoryPaths"/>: what they need from ../shared, or a visible skip.</summary>
internal static class SharedData
{
    /// <summary>The repository root.</summary>
    public static string RepositoryRoot => RepositoryPaths.Root;

    /// <summary>The stories260K model directory, or null when ../shared is absent.</summary>
    public static string? Stories260K => RepositoryPaths.Stories260K;

    /// <summary>The stories260K model directory; skips the calling test, naming the path, when it is absent.</summary>
    public static string RequireStories260K()
    {
        string? directory = RepositoryPaths.Stories260K;
        Skip.If(directory is null, RepositoryPaths.Stories260KMissing);
        return directory;
    }

    /// <summary>A path under ../shared; skips the calling test, naming the path, when it is absent.</summary>
    public static string Require(params string[] parts)
    {
        string? path = RepositoryPaths.Shared(parts);
        Skip.If(path is null, RepositoryPaths.Missing(parts));
        return path;
    }
}
