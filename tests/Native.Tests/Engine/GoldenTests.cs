using BlitzScale.Native.Engine;

namespace BlitzScale.Native.Tests.Engine;

/// <summary>stories260K greedy generations equal the reference C implementation's, token for token.</summary>
public sealed class GoldenTests
{
    [SkippableFact]
    public void EveryGoldenCaseIsReproducedTokenForToken()
    {
        string dir = SharedData.RequireStories260K();
        using var model = LocalModel.Open(dir);
        var cases = GoldenCase.Load(Path.Combine(dir, "goldens.jsonl"));
        Assert.Equal(3, cases.Count);
        foreach (var golden in cases)
        {
            Assert.Equal(golden.PromptIds, model.Tokenizer.Encode(golden.Prompt));
            var outcome = golden.Check(model);
            Assert.True(outcome.Passed,
                $"\"{golden.Prompt}\": first difference at index {outcome.FirstDifference}: expected [{string.Join(", ", golden.Ids)}], got [{string.Join(", ", outcome.Ids)}]");
            Assert.Equal(golden.Text, model.Tokenizer.Decode(outcome.Ids));
        }
    }
}
