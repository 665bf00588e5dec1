using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Tokenization;
using BlitzScale.Tests.Shared;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests;

/// <summary>Two instances of a model, one per host, serve streamed generations through the model grain.</summary>
public sealed class ServingTests(ServingFixture grid, ITestOutputHelper output) : IClassFixture<ServingFixture>
{
    private static readonly string[] DefaultGpus = ["host-a/gpu0", "host-b/gpu0"];

    [SkippableFact]
    public async Task Deploy_spreads_two_instances_over_the_hosts_and_both_reach_serving()
    {
        await CheckDeployed(ServingFixture.Tiny, grid.TinyDeployed, grid.SyntheticModel);
        Skip.If(grid.StoriesDeployed is null, RepositoryPaths.Stories260KMissing);
        await CheckDeployed(ServingFixture.Stories, grid.StoriesDeployed, grid.StoriesDirectory!);
    }

    [Fact]
    public async Task The_registry_lists_the_deployed_models()
    {
        var models = await grid.Registry.GetModels();

        Assert.Contains(ServingFixture.Tiny, models);
        if (grid.StoriesDeployed is not null) Assert.Contains(ServingFixture.Stories, models);
    }

    [SkippableFact]
    public async Task Concurrent_greedy_requests_reproduce_the_goldens_on_both_instances()
    {
        Skip.If(grid.StoriesDeployed is null, RepositoryPaths.Stories260KMissing);
        // Sixty-four on the cpu backend; fewer on the emulated cuda one (see GridBackend).
        var cases = Enumerable.Range(0, GridBackend.ConcurrentRequests).Select(i => grid.Goldens[i % grid.Goldens.Count]).ToList();

        var served = await Task.WhenAll(cases.Select(c => Streamed.Collect(grid.Client.GenerateAsync(ServingFixture.Stories, new GenerateRequest
        {
            Prompt = c.Prompt,
            MaxTokens = c.Steps + 1 - c.PromptIds.Length,
            StopAtEos = false,
        }))));

        for (int i = 0; i < cases.Count; i++)
        {
            Assert.True(served[i].AllIds.SequenceEqual(cases[i].Ids),
                $"request {i} (\"{cases[i].Prompt}\"): expected [{string.Join(", ", cases[i].Ids)}], got [{string.Join(", ", served[i].AllIds)}]");
            Assert.Equal("length", served[i].Finish);
        }
        Assert.Equal(
            [new ShardKey(ServingFixture.Stories, 0, 0).ToString(), new ShardKey(ServingFixture.Stories, 1, 0).ToString()],
            served.Select(s => s.Instance).Distinct().Order(StringComparer.Ordinal));
        var status = await grid.Model(ServingFixture.Stories).GetStatus();
        Assert.All(status.Instances, i => Assert.Equal(0, i.KvBlocksUsed));
        // Each instance measured its prefill before its first request (on blocks these requests then used): the goldens still hold.
        Assert.All(status.Instances, i => Assert.True(i.RatedPrefillTokensPerSecond > 0, $"{i.Shard} rated at {i.RatedPrefillTokensPerSecond} tokens/s"));
    }

    [SkippableFact]
    public async Task Streamed_text_is_the_decoded_continuation_of_each_golden()
    {
        Skip.If(grid.StoriesDeployed is null, RepositoryPaths.Stories260KMissing);
        foreach (var c in grid.Goldens)
        {
            var served = await Streamed.Collect(grid.Client.GenerateAsync(ServingFixture.Stories, new GenerateRequest
            {
                Prompt = c.Prompt,
                MaxTokens = c.Steps + 1 - c.PromptIds.Length,
                StopAtEos = false,
            }));

            Assert.Equal(c.PromptIds, served.PromptIds);
            Assert.Equal(c.Ids.Length - c.PromptIds.Length, served.TokenIds.Length);
            string prompt = grid.StoriesTokenizer!.Decode(c.PromptIds);
            Assert.StartsWith(prompt, c.Text, StringComparison.Ordinal);
            Assert.Equal(c.Text[prompt.Length..], served.Text);
        }
    }

    [Fact]
    public async Task Streamed_text_of_the_synthetic_model_is_the_decode_of_its_tokens()
    {
        using var model = ModelDirectory.Open(grid.SyntheticModel);
        var tokenizer = LlamaTextTokenizer.Load(grid.SyntheticModel, model.Generation.BosTokenId, model.Generation.EosTokenId);
        int[] prompt = tokenizer.Encode("the grid streams tokens");

        var served = await Streamed.Collect(grid.Client.GenerateAsync(ServingFixture.Tiny, new GenerateRequest { PromptIds = prompt, MaxTokens = 40 }));

        Assert.Equal(prompt, served.PromptIds);
        Assert.False(served.Emulated, $"the {GridBackend.Name} backend says its tokens are an emulated GPU's");
        Assert.True(served.Finish == "eos" || served.TokenIds.Length == 40, $"finished with \"{served.Finish}\" after {served.TokenIds.Length} tokens");
        string all = tokenizer.Decode(served.AllIds), head = tokenizer.Decode(prompt);
        Assert.StartsWith(head, all, StringComparison.Ordinal);
        Assert.Equal(all[head.Length..], served.Text);
    }

    [Fact]
    public async Task A_sampled_generation_matches_the_local_generator_and_ends_at_eos()
    {
        using var local = LocalModel.Open(grid.SyntheticModel);
        int[] prompt = local.Tokenizer.Encode("Hi");
        // The first seed whose sampled continuation (temperature 1, synthetic weights) reaches EOS within 200 tokens.
        var (seed, expected) = Enumerable.Range(1, 32)
            .Select(s => ((ulong)s, local.CreateGenerator().Generate(prompt, new GenerationOptions(200, new SamplingOptions(1f, 1f, 0, (ulong)s), StopAtEos: true))))
            .FirstOrDefault(r => r.Item2.Finish == FinishReason.Eos);
        Assert.True(expected is not null, "no seed in 1..32 reaches EOS on the synthetic model: pick other prompts");

        var served = await Streamed.Collect(grid.Client.GenerateAsync(ServingFixture.Tiny, 
            new GenerateRequest { PromptIds = prompt, MaxTokens = 200, Temperature = 1f, Seed = seed, StopAtEos = true }));
        Assert.Equal("eos", served.Finish);
        Assert.Equal(expected.OutputIds, served.TokenIds);

        // Without stopping, EOS is an ordinary token and the generation runs to its length.
        var through = await Streamed.Collect(grid.Client.GenerateAsync(ServingFixture.Tiny, 
            new GenerateRequest { PromptIds = prompt, MaxTokens = expected.OutputIds.Length + 3, Temperature = 1f, Seed = seed, StopAtEos = false }));
        Assert.Equal("length", through.Finish);
        Assert.Equal([.. expected.OutputIds, local.Directory.Generation.EosTokenId], through.TokenIds.Take(expected.OutputIds.Length + 1));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Cancelling_or_abandoning_a_generation_frees_its_kv_blocks_and_the_instance_keeps_serving(bool cancelToken)
    {
        // Filling an 8192-token context takes the long-context synthetic model many seconds; cancelling after 3
        // tokens must end the request long before.
        const int maxTokens = ServingFixture.LongContext - 16;
        using var cancel = new CancellationTokenSource();
        var updates = grid.Client.GenerateAsync(ServingFixture.Long, new GenerateRequest { Prompt = "Once upon a time", MaxTokens = maxTokens, StopAtEos = false }, cancel.Token);
        string? instance = null;
        int tokens = 0;
        long generatedBefore = 0;
        var enumerator = updates.GetAsyncEnumerator(cancel.Token);
        try
        {
            async Task ReadUntilCancelled()
            {
                while (await enumerator.MoveNextAsync())
                {
                    var update = enumerator.Current;
                    if (update.Instance is { } shard)
                    {
                        instance = shard;
                        continue;
                    }
                    Assert.Null(update.Finish);
                    if (++tokens == 3)
                    {
                        var running = await grid.Shard(instance!).GetStatus();
                        Assert.True(running.KvBlocksUsed > 0, "a running generation holds no KV blocks");
                        generatedBefore = running.TokensGenerated;
                        if (!cancelToken) return;
                        await cancel.CancelAsync();
                    }
                }
            }

            if (cancelToken) await Assert.ThrowsAnyAsync<OperationCanceledException>(ReadUntilCancelled);
            else await ReadUntilCancelled();
        }
        finally
        {
            // Abandoning: disposing the enumerator early is how `break` out of `await foreach` ends a request.
            await enumerator.DisposeAsync();
        }
        // Updates already delivered to the client may still be read after cancelling.
        Assert.InRange(tokens, 3, maxTokens - 1);

        // The blocks are freed at the instance's next step boundary, which nothing here can await: poll its
        // status, briefly and boundedly.
        var status = await grid.Shard(instance!).GetStatus();
        for (int i = 0; i < 200 && (status.KvBlocksUsed > 0 || status.Running > 0); i++)
        {
            await Task.Delay(10);
            status = await grid.Shard(instance!).GetStatus();
        }
        output.WriteLine($"{status.TokensGenerated - generatedBefore} tokens generated after the third");
        Assert.Equal(0, status.KvBlocksUsed);
        Assert.Equal(0, status.Running);
        Assert.Equal(0, status.Waiting);
        Assert.True(status.TokensGenerated - generatedBefore < maxTokens - 3,
            $"the instance generated {status.TokensGenerated - generatedBefore} tokens after the cancellation: it ran to the end");

        var next = await Streamed.Collect(grid.Client.GenerateAsync(ServingFixture.Long, new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 8, StopAtEos = false }));
        Assert.Equal(instance, next.Instance);
        Assert.Equal(8, next.TokenIds.Length);
        Assert.Equal(0, (await grid.Shard(instance!).GetStatus()).KvBlocksUsed);
    }

    private async Task CheckDeployed(string model, ModelStatus deployed, string directory)
    {
        Assert.Equal(model, deployed.Model);
        Assert.Equal(directory, deployed.ModelDirectory);
        Assert.Equal(2, deployed.Instances.Count);
        Assert.Equal(DefaultGpus, deployed.Instances.Select(i => i.Gpu));
        Assert.Equal([new ShardKey(model, 0, 0).ToString(), new ShardKey(model, 1, 0).ToString()], deployed.Instances.Select(i => i.Shard));
        Assert.All(deployed.Instances, i => Assert.True(i.State is InstanceState.Loading or InstanceState.Serving, $"{i.Shard} is {i.State}"));

        // A generation waits for its instance to finish loading: one straight to each shard.
        foreach (var instance in deployed.Instances)
        {
            var warm = await Streamed.Collect(grid.Shard(instance.Shard).Generate(new GenerateRequest { Prompt = "Hi", MaxTokens = 1, StopAtEos = false }));
            Assert.Equal(instance.Shard, warm.Instance);
            Assert.Single(warm.TokenIds);
        }

        using var files = ModelDirectory.Open(directory);
        var config = files.Config;
        long bytesPerBlock = 2L * config.NumLayers * 16 * config.KvDim * sizeof(float);
        var status = await grid.Model(model).GetStatus();
        foreach (var instance in status.Instances)
        {
            Assert.Equal(InstanceState.Serving, instance.State);
            Assert.Null(instance.Error);
            Assert.Equal(config.NumLayers, instance.TotalLayers);
            Assert.Equal(config.NumLayers, instance.LoadedLayers);
            Assert.True(instance.KvBlocksTotal > 0, $"{instance.Shard} has no KV blocks");

            var gpu = await grid.Gpu(instance.Gpu).GetStatus();
            Assert.Equal((GridBackend.Name, false, GridBackend.Name), (gpu.Backend, gpu.Emulated, gpu.BackendDescription));
            var resident = Assert.Single(gpu.Residents, r => r.Shard == instance.Shard);
            Assert.Equal(model, resident.Model);
            Assert.Equal(files.Layout.TotalBytes, resident.ParameterBytes);
            Assert.Equal(instance.KvBlocksTotal * bytesPerBlock, resident.KvCacheBytes);
            Assert.Equal(config.NumLayers, resident.LoadedLayers);
            Assert.Equal(config.NumLayers, resident.TotalLayers);
            Assert.Equal(gpu.Residents.Sum(r => r.ParameterBytes + r.KvCacheBytes), gpu.MemoryUsedBytes);
            Assert.True(gpu.MemoryUsedBytes >= resident.ParameterBytes + resident.KvCacheBytes);
        }
    }
}
