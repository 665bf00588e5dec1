using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Tests;

/// <summary>A whole streamed generation, read and checked for shape by <see cref="Collect"/>.</summary>
/// <param name="PromptIds">The prompt as run (first update).</param>
/// <param name="Instance">The shard that served it: the first update's, or the one it was handed over to (live scaling).</param>
/// <param name="TokenIds">The generated tokens.</param>
/// <param name="Text">The concatenated text of every update.</param>
/// <param name="Finish">The last update's finish reason.</param>
/// <param name="Emulated">Whether the instance said it runs on an emulated GPU (first update).</param>
/// <param name="TokenElapsedMs">Each generated token's milliseconds since the instance accepted the request.</param>
internal sealed record Streamed(int[] PromptIds, string Instance, int[] TokenIds, string Text, string Finish, bool Emulated, double[] TokenElapsedMs)
{
    /// <summary>Prompt and generated ids, as a golden case lists them.</summary>
    public int[] AllIds => [.. PromptIds, .. TokenIds];

    /// <summary>
    /// Reads every update, checking the stream's shape on the way: the first carries the prompt ids and the
    /// instance and no token; then tokens with indexes 0, 1, 2, …; exactly one finish reason, on the last
    /// update ("length" or "eos"; a -1 token only as the EOS marker whose index is the token count).
    /// </summary>
    public static async Task<Streamed> Collect(IAsyncEnumerable<GenerationUpdate> updates, CancellationToken cancellationToken = default)
    {
        int[]? promptIds = null;
        string? instance = null;
        string? finish = null;
        var tokens = new List<int>();
        var times = new List<double>();
        bool emulated = false;
        var text = new System.Text.StringBuilder();
        double elapsed = 0;
        bool first = true;
        await foreach (var update in updates.WithCancellation(cancellationToken))
        {
            Assert.True(finish is null, $"an update came after the one that finished with \"{finish}\"");
            text.Append(update.Text);
            if (first)
            {
                first = false;
                Assert.NotNull(update.PromptIds);
                Assert.NotEmpty(update.PromptIds);
                Assert.False(string.IsNullOrEmpty(update.Instance), "the first update names no instance");
                Assert.Equal(-1, update.TokenId);
                Assert.Null(update.Finish);
                promptIds = update.PromptIds;
                instance = update.Instance;
                emulated = update.Emulated;
                continue;
            }
            Assert.Null(update.PromptIds);
            Assert.Null(update.Instance);
            if (update.HandedTo is { } partner) instance = partner;
            Assert.False(update.Emulated, "an update after the first says whether the GPU is emulated");
            Assert.True(update.ElapsedMs >= elapsed, $"update {update.Index} at {update.ElapsedMs} ms came after one at {elapsed} ms");
            elapsed = update.ElapsedMs;
            Assert.Equal(tokens.Count, update.Index);
            if (update.TokenId >= 0)
            {
                tokens.Add(update.TokenId);
                times.Add(update.ElapsedMs);
            }
            else Assert.Equal("eos", update.Finish);
            finish = update.Finish;
        }
        Assert.False(first, "the stream had no update at all");
        Assert.True(finish is "length" or "eos", $"the stream ended with finish reason \"{finish ?? "(none)"}\"");
        return new Streamed(promptIds!, instance!, [.. tokens], text.ToString(), finish!, emulated, [.. times]);
    }
}
