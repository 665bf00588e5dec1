using BlitzScale.Native.Engine;

namespace BlitzScale.Native.Tests.Tokenization;

/// <summary>The stories260K directory and its goldens, for the tokenizer tests.</summary>
internal static class TokenizerTestData
{
    /// <summary>The stories260K directory; skips the calling test when ../shared is not checked out next to the repo.</summary>
    public static string Stories260KDirectory() => SharedData.RequireStories260K();

    public static IReadOnlyList<GoldenCase> ReadGoldens(string storiesDirectory) =>
        GoldenCase.Load(Path.Combine(storiesDirectory, "goldens.jsonl"));
}
