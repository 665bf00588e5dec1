using BlitzScale.Native.Engine;

namespace BlitzScale.Native.Tests.Tokenization;

/// <summary>The stories260K directory and its goldens, for the tokenizer tests.</summary>
internal static class TokenizerTestData
{
    public const string SkipMessage = SharedData.SkipMessage;

    /// <summary>The stories260K directory, or null when ../shared is not checked out next to the repo.</summary>
    public static string? Stories260KDirectory() => SharedData.Stories260K;

    public static IReadOnlyList<GoldenCase> ReadGoldens(string storiesDirectory) =>
        GoldenCase.Load(Path.Combine(storiesDirectory, "goldens.jsonl"));
}
