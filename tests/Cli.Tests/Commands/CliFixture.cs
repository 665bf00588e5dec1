namespace BlitzScale.Cli.Tests.Commands;

/// <summary>A cache folder shared by one test class's blitz runs, deleted afterwards.</summary>
public sealed class CliFixture : IDisposable
{
    public string Cache { get; } = Directory.CreateTempSubdirectory("blitz-cli-").FullName;

    public string NewDirectory() => Directory.CreateTempSubdirectory("blitz-cli-out-").FullName;

    public void Dispose() => Directory.Delete(Cache, recursive: true);
}
