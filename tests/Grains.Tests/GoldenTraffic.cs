using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Tests.Reliability;
using BlitzScale.Native.Engine;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests;

/// <summary>
/// Keeps <c>open</c> of stories260K's reference generations unfinished against a model in the grid (greedy, no EOS stop),
/// for tests that scale, pair or kill under load; each result is checked later against its golden.
/// </summary>
internal sealed class GoldenTraffic(IClusterClient client, string model, IReadOnlyList<GoldenCase> goldens, int open, int most = 2000)
{
    private readonly List<Task<(Streamed Result, GoldenCase Golden)>> _requests = [];

    /// <summary>stories260K's reference generations.</summary>
    public static IReadOnlyList<GoldenCase> Goldens() => GoldenCase.Load(Path.Combine(RepositoryPaths.ShippedStories260K, "goldens.jsonl"));

    /// <summary>Deploys stories260K under <c>blitz</c> as one instance on <paramref name="gpu"/>, 128 KV blocks, the drain time given or the default.</summary>
    public static Task<ModelStatus> DeployOne(IModelGrain grain, string gpu, double? drainSeconds = null) => grain.Deploy(new DeployRequest
    {
        ModelDirectory = RepositoryPaths.ShippedStories260K, Instances = 1, Gpus = [gpu], KvBlocks = 128, Policy = LoadPolicy.Blitz,
        DrainSeconds = drainSeconds,
    });

    /// <summary>Starts requests until <c>open</c> are unfinished (at most <c>most</c> in all).</summary>
    public void TopUp()
    {
        while (_requests.Count(r => !r.IsCompleted) < open && _requests.Count < most) _requests.Add(Run(goldens[_requests.Count % goldens.Count]));
    }

    /// <summary>Tops up until the model's status satisfies <paramref name="condition"/>; returns that status, or fails saying <paramref name="failure"/> after 60 s.</summary>
    public async Task<ModelStatus> Until(IModelGrain grain, Func<ModelStatus, bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            TopUp();
            var status = await grain.GetStatus();
            if (condition(status)) return status;
            Assert.True(DateTime.UtcNow < deadline, $"{failure}; last seen: {StatusPoll.Describe(status)}");
            await Task.Delay(10);
        }
    }

    /// <summary>Every request started so far, once all have ended (within <see cref="StatusPoll.Limit"/>).</summary>
    public Task<(Streamed Result, GoldenCase Golden)[]> All() => Task.WhenAll(_requests).WaitAsync(StatusPoll.Limit);

    /// <summary>Each result equals its golden token for token.</summary>
    public static void AssertGoldens(IEnumerable<(Streamed Result, GoldenCase Golden)> results)
    {
        foreach (var (result, golden) in results)
            Assert.True(result.AllIds.SequenceEqual(golden.Ids), $"\"{golden.Prompt}\" on {result.Instance}: expected [{string.Join(", ", golden.Ids)}], got [{string.Join(", ", result.AllIds)}]");
    }

    private async Task<(Streamed, GoldenCase)> Run(GoldenCase golden)
    {
        var request = new GenerateRequest { PromptIds = [.. golden.PromptIds], MaxTokens = golden.Steps + 1 - golden.PromptIds.Length, StopAtEos = false };
        return (await Streamed.Collect(client.GenerateAsync(model, request)), golden);
    }
}
