using System.Xml.Linq;

namespace BlitzScale.Tests.Shared;

/// <summary>
/// Reads the project references of a production project, so each test project can pin the design's rule
/// that dependencies point one way: Client → Grains.Interfaces; Grains → Grains.Interfaces, Scaling, Native;
/// Silo → Grains; Scaling and Native depend on nothing of ours.
/// </summary>
internal static class ProjectReferences
{
    /// <summary>The folder names of the projects <paramref name="project"/> references, sorted.</summary>
    public static string[] Of(string project)
    {
        string path = Path.Combine(RepositoryPaths.Root, project, project + ".csproj");
        return XDocument.Load(path).Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/')))
            .Order(StringComparer.Ordinal)
            .ToArray();
    }
}
