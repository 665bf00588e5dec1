using System.Runtime.CompilerServices;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Interfaces.Tests.Serving;

/// <summary>
/// A generation is over at its last update (the one with the finish reason): the caller does not wait for the shard's
/// end of the stream, which never comes where the ask for it was lost with a gateway that died (bench chaos at 5c5a666: two
/// requests had every token within 1.2 s of arriving and ended 30 s later, at the response timeout).
/// </summary>
public sealed class StreamEndTests
{
    private static readonly TimeSpan Signal = TimeSpan.FromSeconds(30);
    private const int Tokens = 3;

    [Fact]
    public async Task The_generation_ends_at_its_last_update_though_the_stream_never_ends_and_the_stream_and_ticket_are_let_go()
    {
        var shard = new Shard();
        var router = new Router();
        var grains = new StubGrainFactory(router, shard, []);
        var request = new GenerateRequest { PromptIds = [1, 17, 42], MaxTokens = Tokens, StopAtEos = false };

        var updates = new List<GenerationUpdate>();
        await ReadAll(grains.GenerateAsync("m", request), updates).WaitAsync(Signal);

        Assert.Equal([11, 12, 13], updates.Where(u => u.TokenId >= 0).Select(u => u.TokenId));
        Assert.Equal("length", updates[^1].Finish);
        Assert.Equal(5, await router.Released.Task.WaitAsync(Signal));
        // The stream is disposed in the background: the shard's iterator is told to stop.
        await shard.LetGo.Task.WaitAsync(Signal);
    }

    private static async Task ReadAll(IAsyncEnumerable<GenerationUpdate> generation, List<GenerationUpdate> into)
    {
        await foreach (var update in generation) into.Add(update);
    }

    // Hands out the prompt, three tokens (the last with its finish reason), then never ends its stream: the ask for the end is lost.
    private sealed class Shard : ShardGrainStub
    {
        public TaskCompletionSource LetGo { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async IAsyncEnumerable<GenerationUpdate> Generate(GenerateRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            try
            {
                yield return new GenerationUpdate { PromptIds = request.PromptIds, Instance = "m/0/0" };
                for (int i = 0; i < Tokens; i++)
                    yield return new GenerationUpdate { TokenId = 11 + i, Index = i, Finish = i == Tokens - 1 ? "length" : null };
                await Task.Delay(Timeout.Infinite, CancellationToken.None);
            }
            finally
            {
                LetGo.TrySetResult();
            }
        }

        public override Task<StreamPosition?> StreamProgress(string requestId) => Task.FromResult<StreamPosition?>(null);
    }

    private sealed class Router : ModelGrainStub
    {
        public TaskCompletionSource<long> Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override Task<RouteDecision> Route(long estimatedTokens, long promptTokens, Guid wait) => Task.FromResult(new RouteDecision(5, "m/0/0", "h1"));

        public override Task Release(long ticket)
        {
            Released.TrySetResult(ticket);
            return Task.CompletedTask;
        }
    }
}
