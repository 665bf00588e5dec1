using System.Runtime.CompilerServices;
using BlitzScale.Cli.Replay;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Tests.Replay;

/// <summary>What the open-loop driver records of each stream: the token ids in order and whether it moved to another instance.</summary>
public sealed class ReplayDriverTests
{
    private static async IAsyncEnumerable<GenerationUpdate> Stream(int index, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        await Task.Yield();
        yield return new GenerationUpdate { PromptIds = [1, 2], Instance = "m/0/0" };
        yield return new GenerationUpdate { TokenId = 10 + index, Index = 0 };
        // The request moved to another instance after its first token (GridGeneration marks what follows).
        yield return new GenerationUpdate
        {
            TokenId = 20 + index, Index = 1, Resumes = index, ResumedBecause = index > 0 ? "instance m/0/0 stopped under the request: its host h2 left the cluster" : null,
        };
        yield return new GenerationUpdate { TokenId = 30 + index, Index = 2, Resumes = index, Finish = "length" };
    }

    [Fact]
    public async Task Each_request_keeps_its_token_ids_in_order_and_how_many_times_it_moved()
    {
        ReplayArrival[] arrivals = [new(0, 2, 0, 2, 3), new(1, 3, 0, 2, 3)];

        var log = await ReplayDriver.Play(arrivals, (a, ct) => Stream(a.Index, ct), TimeProvider.System, TimeProvider.System.GetTimestamp(),
            TimeSpan.FromMinutes(1), new ReplayCounters(), CancellationToken.None);

        Assert.All(log, r => Assert.Equal(ReplayOutcome.Ok, r.Outcome));
        Assert.Equal([10, 20, 30], log[0].TokenIds);
        Assert.Equal([11, 21, 31], log[1].TokenIds);
        Assert.Equal([0, 1], log.Select(r => r.Resumes));
        Assert.Empty(log[0].ResumeReasons);
        Assert.Equal(["instance m/0/0 stopped under the request: its host h2 left the cluster"], log[1].ResumeReasons);
    }
}
