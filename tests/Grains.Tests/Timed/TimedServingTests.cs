using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Models;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests.Timed;

/// <summary>
/// The grid's serving on emulated GPUs: deployed and streamed as on any backend, with deterministic pseudo-tokens that
/// never end a request early, KV blocks freed on cancellation, every step taking at least the profile's time, and
/// every output saying it is emulated.
/// </summary>
public sealed class TimedServingTests(TimedServingFixture grid, ITestOutputHelper output) : IClassFixture<TimedServingFixture>
{
    private static readonly string[] Shards = [new ShardKey(TimedServingFixture.Tiny, 0, 0).ToString(), new ShardKey(TimedServingFixture.Tiny, 1, 0).ToString()];

    [Fact]
    public async Task Both_timed_instances_serve_and_every_gpu_says_it_is_emulated_with_its_profile_and_dilation()
    {
        Assert.Equal(["host-a/gpu0", "host-b/gpu0"], grid.TinyDeployed.Instances.Select(i => i.Gpu));
        var status = await grid.Model(TimedServingFixture.Tiny).GetStatus();
        Assert.Equal(Shards, status.Instances.Select(i => i.Shard));
        Assert.All(status.Instances, i => Assert.Equal(InstanceState.Serving, i.State));

        string expected = $"timed (emulated): profile {TimedServingFixture.CostModel} from {grid.ProfilePath}, dilation 2";
        foreach (string host in new[] { GridFixture.HostA, GridFixture.HostB })
        {
            for (int g = 0; g < GridFixture.GpusPerHost; g++)
            {
                var gpu = await grid.Gpu(new GpuKey(host, g).ToString()).GetStatus();
                Assert.Equal(("timed", true, expected), (gpu.Backend, gpu.Emulated, gpu.BackendDescription));
            }
        }
    }

    [Fact]
    public async Task Each_instance_reports_the_profiles_prefill_speed_as_its_rating_from_its_start()
    {
        var status = await grid.Model(TimedServingFixture.Tiny).GetStatus();

        // The step budget's prompt (512 tokens, the default) over the 4 layers, dilated: what the autoscaler counts on until it has measured.
        double expected = grid.Profile.PrefillTokensPerSecond(4, 512, TimedServingFixture.Dilation);
        Assert.All(status.Instances, i => Assert.Equal(expected, i.RatedPrefillTokensPerSecond, 9));
    }

    [Fact]
    public async Task A_generation_streams_in_order_to_its_length_and_says_its_tokens_are_emulated()
    {
        // Collect checks the order: the prompt and instance first, then tokens 0, 1, 2, … each no earlier than the last.
        var served = await Streamed.Collect(grid.Client.GenerateAsync(TimedServingFixture.Tiny,
            new GenerateRequest { Prompt = "emulated tokens", MaxTokens = 24, StopAtEos = true }));

        Assert.True(served.Emulated, "the first update of a timed instance does not say it is emulated");
        Assert.Contains(served.Instance, Shards);
        // Pseudo-tokens are never BOS or EOS: with StopAtEos the request still runs to its length.
        Assert.Equal("length", served.Finish);
        Assert.Equal(24, served.TokenIds.Length);
        using var files = ModelDirectory.Open(grid.SyntheticModel);
        Assert.DoesNotContain(files.Generation.EosTokenId, served.TokenIds);
        Assert.DoesNotContain(files.Generation.BosTokenId, served.TokenIds);
        Assert.All(served.TokenIds, id => Assert.InRange(id, 3, files.Config.VocabSize - 1));
    }

    [Fact]
    public async Task The_same_prompt_gives_the_same_pseudo_tokens_on_both_instances_alone_or_batched()
    {
        var request = new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 16, StopAtEos = true };
        var alone = new List<Streamed>();
        foreach (string shard in Shards) alone.Add(await Streamed.Collect(grid.Shard(shard).Generate(request)));
        Assert.Equal(Shards, alone.Select(s => s.Instance));
        Assert.Equal(alone[0].TokenIds, alone[1].TokenIds);

        // A function of the sequence: another prompt gives other tokens.
        var other = await Streamed.Collect(grid.Shard(Shards[0]).Generate(request with { Prompt = "Once upon a midnight" }));
        Assert.NotEqual(alone[0].TokenIds, other.TokenIds);

        // Batched with each other on both instances, every copy gets the same tokens as alone.
        var batched = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Streamed.Collect(grid.Client.GenerateAsync(TimedServingFixture.Tiny, request))));
        Assert.All(batched, s => Assert.Equal(alone[0].TokenIds, s.TokenIds));
        Assert.All(batched, s => Assert.True(s.Emulated));
    }

    [Fact]
    public async Task Cancelling_a_generation_frees_its_kv_blocks_and_the_instance_keeps_serving()
    {
        // 1000 decode steps of 4 ms each: seconds, unless cancelling ends the request.
        const int maxTokens = 1000;
        using var cancel = new CancellationTokenSource();
        string instance = Shards[1];
        int tokens = 0;
        long generatedBefore = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in grid.Shard(instance).Generate(new GenerateRequest { Prompt = "cancel me", MaxTokens = maxTokens, StopAtEos = false }, cancel.Token))
            {
                if (update.Instance is not null) continue;
                if (++tokens == 3)
                {
                    var running = await grid.Shard(instance).GetStatus();
                    Assert.True(running.KvBlocksUsed > 0, "a running generation holds no KV blocks");
                    generatedBefore = running.TokensGenerated;
                    await cancel.CancelAsync();
                }
            }
        });

        // The blocks are freed at the instance's next step boundary, which nothing here can await: poll, boundedly.
        var status = await grid.Shard(instance).GetStatus();
        for (int i = 0; i < 200 && (status.KvBlocksUsed > 0 || status.Running > 0); i++)
        {
            await Task.Delay(10);
            status = await grid.Shard(instance).GetStatus();
        }
        output.WriteLine($"{status.TokensGenerated - generatedBefore} tokens generated after the third");
        Assert.Equal((0, 0, 0), (status.KvBlocksUsed, status.Running, status.Waiting));
        Assert.True(status.TokensGenerated - generatedBefore < maxTokens - 3, "the instance ran the cancelled request to its end");

        var next = await Streamed.Collect(grid.Shard(instance).Generate(new GenerateRequest { Prompt = "cancel me", MaxTokens = 4, StopAtEos = false }));
        Assert.Equal(4, next.TokenIds.Length);
    }

    [Fact]
    public async Task An_instance_spends_at_least_the_profiles_time_on_a_prefill_and_each_decode_step()
    {
        // Alone on its instance, a 16-token prompt is one prefill step at the profile's 16-token point, and each
        // further token one decode step of a batch of one.
        const int decodeSteps = 24;
        int[] prompt = [1, .. Enumerable.Range(100, 15)];
        int layers;
        using (var files = ModelDirectory.Open(grid.SyntheticModel)) layers = files.Config.NumLayers;
        double prefillMs = grid.Profile.StepSeconds(layers, prompt.Length, 0, TimedServingFixture.Dilation) * 1e3;
        double decodeMs = grid.Profile.StepSeconds(layers, 0, 1, TimedServingFixture.Dilation) * 1e3;
        Assert.Equal((16.0, 4.0), (Math.Round(prefillMs, 9), Math.Round(decodeMs, 9)));

        var served = await Streamed.Collect(grid.Shard(Shards[0]).Generate(
            new GenerateRequest { PromptIds = prompt, MaxTokens = decodeSteps + 1, StopAtEos = false }));

        double first = served.TokenElapsedMs[0], last = served.TokenElapsedMs[^1];
        output.WriteLine($"first token at {first:F2} ms (profile: {prefillMs:F2}), {decodeSteps} decode steps in {last - first:F2} ms (profile: {decodeSteps * decodeMs:F2})");
        // A lower bound only: wall time on a shared machine may run longer, never shorter. A step's charge is rounded to
        // 100 ns ticks, hence the microsecond of slack.
        const double Slack = 1e-3;
        Assert.True(first >= prefillMs - Slack, $"the first token came after {first:F3} ms; the prefill costs {prefillMs:F3} ms");
        Assert.True(last >= prefillMs + decodeSteps * decodeMs - Slack * (decodeSteps + 1),
            $"the last token came after {last:F3} ms; a prefill and {decodeSteps} decode steps cost {prefillMs + decodeSteps * decodeMs:F3} ms");
    }
}
