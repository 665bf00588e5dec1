using System.Text.Json;
using System.Text.Json.Nodes;
using BlitzScale.Native.Cuda.Engine;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;

namespace BlitzScale.DeviceCheck;

/// <summary>
/// (a) stories260K (f32) greedy through the cuda backend against <c>goldens.jsonl</c>, replayed as
/// <c>GoldenCase.Check</c> does on the cpu (the golden prompt ids, <c>steps + 1 - prompt</c> tokens, no EOS stop).
/// The file is read with JsonDocument, not GoldenCase.Load: a trimmed program has no reflection-based JSON.
/// </summary>
internal static class GoldenCheck
{
    public static JsonObject Run(string? shared)
    {
        string model = Models.Stories260K(shared);
        using var directory = ModelDirectory.Open(model);
        using var image = directory.LoadImage();
        using var engine = CudaEngine.Open(directory.Layout, LocalModel.ContextStore(directory.Config));
        engine.LoadFrom(image);
        var generator = new Generator(engine, directory.Generation.EosTokenId);

        var cases = new JsonArray();
        bool all = true;
        foreach (string line in File.ReadLines(Path.Combine(model, "goldens.jsonl")))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            int steps = root.GetProperty("steps").GetInt32();
            int[] promptIds = root.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            int[] expected = root.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var result = generator.Generate(promptIds, new GenerationOptions(MaxTokens: steps + 1 - promptIds.Length, StopAtEos: false));
            int[] ids = [.. result.PromptIds, .. result.OutputIds];
            int first = Enumerable.Range(0, Math.Min(ids.Length, expected.Length)).FirstOrDefault(i => ids[i] != expected[i], -1);
            if (first < 0 && ids.Length != expected.Length) first = Math.Min(ids.Length, expected.Length);
            all &= first < 0;
            cases.Add((JsonNode)new JsonObject
            {
                ["prompt"] = root.GetProperty("prompt").GetString(),
                ["passed"] = first < 0,
                ["first_difference"] = first,
                ["tokens_per_second"] = Math.Round(result.TokensPerSecond, 1),
            });
        }
        return new JsonObject { ["all_passed"] = all, ["kernels_from_cache"] = engine.KernelsFromCache, ["cases"] = cases };
    }
}
