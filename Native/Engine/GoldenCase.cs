using System.Text.Json;
using System.Text.Json.Serialization;

namespace BlitzScale.Native.Engine;

/// <summary>
/// A reference greedy generation from <c>goldens.jsonl</c>: the prompt, how many positions were run, and the
/// ids the reference implementation produced (BOS and prompt included).
/// </summary>
public sealed record GoldenCase(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("steps")] int Steps,
    [property: JsonPropertyName("prompt_ids")] int[] PromptIds,
    [property: JsonPropertyName("ids")] int[] Ids,
    [property: JsonPropertyName("text")] string Text)
{
    /// <summary>Reads every line of a goldens.jsonl file.</summary>
    public static IReadOnlyList<GoldenCase> Load(string path)
    {
        var cases = new List<GoldenCase>();
        int line = 0;
        foreach (string text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                cases.Add(JsonSerializer.Deserialize<GoldenCase>(text) ?? throw new JsonException("null"));
            }
            catch (JsonException e)
            {
                throw new ModelFileException(path, $"{path}:{line}: not a golden case: {e.Message}", e);
            }
        }
        return cases;
    }

    /// <summary>Replays the case greedily on <paramref name="model"/>: the prompt's ids and every generated id must match.</summary>
    public GoldenOutcome Check(LocalModel model)
    {
        int[] promptIds = model.Tokenizer.Encode(Prompt);
        var result = model.CreateGenerator().Generate(promptIds,
            new GenerationOptions(MaxTokens: Steps + 1 - promptIds.Length, StopAtEos: false));
        int[] ids = [.. result.PromptIds, .. result.OutputIds];
        int firstDifference = Enumerable.Range(0, Math.Min(ids.Length, Ids.Length)).FirstOrDefault(i => ids[i] != Ids[i], -1);
        if (firstDifference < 0 && ids.Length != Ids.Length) firstDifference = Math.Min(ids.Length, Ids.Length);
        return new GoldenOutcome(this, ids, firstDifference);
    }
}

/// <summary>The result of replaying one golden case.</summary>
/// <param name="Case">The case.</param>
/// <param name="Ids">What this engine produced (BOS, prompt, generated).</param>
/// <param name="FirstDifference">The first index where the ids differ, or -1 when they are equal.</param>
public sealed record GoldenOutcome(GoldenCase Case, int[] Ids, int FirstDifference)
{
    /// <summary>Whether every id matched.</summary>
    public bool Passed => FirstDifference < 0;
}
