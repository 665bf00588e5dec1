using System.Text.Json;

namespace BlitzScale.Native.Tests.Tokenization;

/// <summary>Locates ../shared/models/stories260K and reads its goldens; builds synthetic models in temp folders.</summary>
internal static class TokenizerTestData
{
    public const string SkipMessage = "../shared not found: skipped";

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The stories260K directory, or null when ../shared is not checked out next to the repo.</summary>
    public static string? Stories260KDirectory()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "BlitzScale.sln")))
        {
            directory = directory.Parent;
        }
        if (directory?.Parent is null)
        {
            return null;
        }
        var stories = Path.Combine(directory.Parent.FullName, "shared", "models", "stories260K");
        return Directory.Exists(stories) ? stories : null;
    }

    public static IReadOnlyList<GoldenCase> ReadGoldens(string storiesDirectory) =>
        [.. File.ReadLines(Path.Combine(storiesDirectory, "goldens.jsonl"))
            .Where(line => !string.IsNullOrWhiteSpace(line))
            .Select(line => JsonSerializer.Deserialize<GoldenCase>(line, JsonOptions)!)];

    /// <summary>A fresh empty directory under the temp folder; delete it with <see cref="DeleteDirectory"/>.</summary>
    public static string CreateTempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "blitz-tokenizer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    public static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    internal sealed record GoldenCase(string Prompt, int Steps, int[] PromptIds, int[] Ids, string Text);
}
