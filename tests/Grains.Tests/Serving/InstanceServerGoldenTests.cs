using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Grains.Serving;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Serving;
using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>stories260K's reference generations, served all at once, still match token for token.</summary>
public sealed class InstanceServerGoldenTests
{
    [SkippableFact]
    public async Task The_goldens_served_concurrently_match_the_reference()
    {
        string? dir = RepositoryPaths.Stories260K;
        Skip.If(dir is null, RepositoryPaths.Stories260KMissing);
        using var model = LocalModel.Open(dir);
        var cases = GoldenCase.Load(Path.Combine(dir, "goldens.jsonl"));
        Assert.Equal(3, cases.Count);

        // A budget smaller than two prompts: prefills are chunked and mixed with decodes.
        var policy = new BatchPolicy { MaxBatchTokens = 8, MaxRunningSequences = 8, KvBlocks = 64 };
        using var device = new DeviceExecutor("golden");
        using var engine = new CpuEngine(model.Image, new KvStoreShape(policy.KvBlocks, policy.BlockSize));
        await using var server = new InstanceServer(engine, policy, device, model.Directory.Generation.EosTokenId);
        var served = await Task.WhenAll(cases.Select((c, i) => ServingModelFixture.Collect(server.GenerateAsync(
            new ServingRequest($"golden{i}", c.PromptIds, c.Steps + 1 - c.PromptIds.Length, SamplingOptions.Greedy, StopAtEos: false)))));

        for (int i = 0; i < cases.Count; i++)
        {
            int[] ids = [.. cases[i].PromptIds, .. served[i].Ids];
            Assert.True(ids.SequenceEqual(cases[i].Ids), $"\"{cases[i].Prompt}\": expected [{string.Join(", ", cases[i].Ids)}], got [{string.Join(", ", ids)}]");
            Assert.Equal(cases[i].Text, model.Tokenizer.Decode(ids));
        }
        Assert.Equal(0, server.Stats.KvBlocksUsed);
    }
}
