using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Grains.Serving;
using BlitzScale.Native.Serving;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>Many requests batched together produce exactly what each produces alone.</summary>
public sealed class InstanceServerTests(ServingModelFixture models) : IClassFixture<ServingModelFixture>
{
    private const int Requests = 24;

    private LocalModel Model => models.Model;

    /// <summary>Prompts of 2 to 40 tokens: with a budget of 48 the long ones are prefilled in chunks.</summary>
    private static int[] Prompt(int i) =>
        [1, .. Enumerable.Range(0, 1 + i * 7 % 39).Select(j => 3 + (i * 31 + j * 17) % 509)];

    [Fact]
    public async Task Concurrent_greedy_requests_give_exactly_the_tokens_of_each_run_alone()
    {
        var engine = Model.Engine;
        // An EOS that request 0 meets within its first 4 tokens, so some requests end at EOS and others at length.
        int eos = new Generator(engine, -1).Generate(Prompt(0), new GenerationOptions(MaxTokens: 4, StopAtEos: false)).OutputIds[3];
        var requests = Enumerable.Range(0, Requests)
            .Select(i => new ServingRequest($"r{i}", Prompt(i), 4 + i * 5 % 21, SamplingOptions.Greedy, StopAtEos: i % 2 == 0))
            .ToArray();
        var alone = requests
            .Select(r => new Generator(engine, eos).Generate(r.PromptIds, new GenerationOptions(r.MaxTokens, null, r.StopAtEos)))
            .ToArray();
        Assert.Contains(alone, r => r.Finish == FinishReason.Eos);
        Assert.Contains(alone, r => r.Finish == FinishReason.Length);

        // Few seats and blocks: requests queue, wait for blocks, and join running batches mid-way.
        var policy = new BatchPolicy { MaxBatchTokens = 48, MaxRunningSequences = 8, KvBlocks = 16 };
        using var device = new DeviceExecutor("serving-core");
        using var serving = models.Engine(policy.KvBlocks);
        await using var server = new InstanceServer(serving, policy, device, eos);
        var served = await Task.WhenAll(requests.Select(r => ServingModelFixture.Collect(server.GenerateAsync(r))));

        for (int i = 0; i < Requests; i++)
        {
            Assert.True(alone[i].OutputIds.SequenceEqual(served[i].Ids),
                $"request {i}: alone [{string.Join(", ", alone[i].OutputIds)}], served [{string.Join(", ", served[i].Ids)}]");
            Assert.Equal(alone[i].Finish == FinishReason.Eos ? ServingFinishReason.Eos : ServingFinishReason.Length, served[i].Finish);
        }
        var stats = server.Stats;
        Assert.Equal((0, 0, 0, 16), (stats.Waiting, stats.Running, stats.KvBlocksUsed, stats.KvBlocksTotal));
        Assert.Equal(alone.Sum(r => r.OutputIds.Length), stats.TokensGenerated);
        Assert.InRange(stats.StepsRun, 1, stats.TokensGenerated - 1);
    }

    [Fact]
    public async Task A_seeded_sampled_request_reproduces_whatever_it_is_batched_with()
    {
        var engine = Model.Engine;
        var sampling = new SamplingOptions(Temperature: 0.9f, TopP: 0.95f, TopK: 40, Seed: 1234);
        var request = new ServingRequest("sampled", Prompt(5), 20, sampling, StopAtEos: false);
        int[] alone = new Generator(engine, models.EosId).Generate(request.PromptIds, new GenerationOptions(20, sampling, StopAtEos: false)).OutputIds;
        int[] otherSeed = new Generator(engine, models.EosId).Generate(request.PromptIds, new GenerationOptions(20, sampling with { Seed = 99 }, StopAtEos: false)).OutputIds;
        Assert.NotEqual(alone, otherSeed);

        using var device = new DeviceExecutor("serving-seeded");
        using var serving = models.Engine(64);
        await using (var server = new InstanceServer(serving, new BatchPolicy { KvBlocks = 64 }, device, models.EosId))
        {
            Assert.Equal(alone, (await ServingModelFixture.Collect(server.GenerateAsync(request))).Ids);
        }
        await using (var server = new InstanceServer(serving, new BatchPolicy { MaxBatchTokens = 16, MaxRunningSequences = 16, KvBlocks = 64 }, device, models.EosId))
        {
            var companions = Enumerable.Range(10, 3)
                .Select(i => ServingModelFixture.Collect(server.GenerateAsync(new ServingRequest($"c{i}", Prompt(i), 12, sampling with { Seed = (ulong)i }))))
                .ToArray();
            var again = await ServingModelFixture.Collect(server.GenerateAsync(request));
            await Task.WhenAll(companions);
            Assert.Equal(alone, again.Ids);
        }
    }

    [Fact]
    public async Task Tokens_stream_in_order_and_the_last_carries_the_finish()
    {
        using var device = new DeviceExecutor("serving-stream");
        using var serving = models.Engine(16);
        await using var server = new InstanceServer(serving, new BatchPolicy { KvBlocks = 16 }, device, models.EosId);
        var tokens = new List<ServedToken>();
        await foreach (var token in server.GenerateAsync(new ServingRequest("s", [1, 300, 301], 6, SamplingOptions.Greedy, StopAtEos: false)))
            tokens.Add(token);

        Assert.Equal([0, 1, 2, 3, 4, 5], tokens.Select(t => t.Index));
        Assert.Equal([null, null, null, null, null, ServingFinishReason.Length], tokens.Select(t => t.Finish));
        Assert.All(tokens.Zip(tokens.Skip(1)), pair => Assert.True(pair.First.ElapsedMs <= pair.Second.ElapsedMs));
        Assert.True(tokens[0].ElapsedMs > 0);
        Assert.Equal(6, server.Stats.TokensGenerated);
    }

    [Fact]
    public async Task Eos_ends_the_stream_with_a_marker_that_is_not_a_token()
    {
        var engine = Model.Engine;
        int[] prompt = Prompt(3);
        int[] free = new Generator(engine, -1).Generate(prompt, new GenerationOptions(MaxTokens: 3, StopAtEos: false)).OutputIds;
        int eos = free[2];
        int stop = Array.IndexOf(free, eos);

        using var device = new DeviceExecutor("serving-eos");
        using var serving = models.Engine(16);
        await using var server = new InstanceServer(serving, new BatchPolicy { KvBlocks = 16 }, device, eos);
        var tokens = new List<ServedToken>();
        await foreach (var token in server.GenerateAsync(new ServingRequest("e", prompt, 10, SamplingOptions.Greedy)))
            tokens.Add(token);

        Assert.Equal(free[..stop], tokens.SkipLast(1).Select(t => t.TokenId));
        Assert.Equal((-1, stop, (ServingFinishReason?)ServingFinishReason.Eos), (tokens[^1].TokenId, tokens[^1].Index, tokens[^1].Finish));
        Assert.Equal(0, server.Stats.KvBlocksUsed);
    }
}
