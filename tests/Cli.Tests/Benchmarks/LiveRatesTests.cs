using BlitzScale.Cli.Benchmarks;
using BlitzScale.Native.Compute.Timed;
using BlitzScale.Scaling.Serving;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>One instance's batch and capacity, and the rates derived from it.</summary>
public sealed class LiveRatesTests : IDisposable
{
    // Per layer: prefill of T tokens from (1, 1 ms) to (100, 2 ms); decode of B sequences 1 ms flat up to 16.
    private const string Row = """{"model": "t", "layer_bytes_bf16": 1000, "n_layers": 2, "prefill_T100_ms": 2.0, "decode_B1_ctx1024_ms": 1.0, "decode_B16_ctx1024_ms": 1.0}""";
    private readonly TempDirectory _dir = new();
    private readonly CostProfile _profile;

    public LiveRatesTests()
    {
        string path = _dir.File("costs.jsonl");
        File.WriteAllLines(path, [Row]);
        _profile = CostProfile.Load(path, "t");
    }

    [Fact]
    public void Kv_blocks_hold_exactly_the_batch()
    {
        // 32 + 32 positions = 4 blocks of 16; 33 + 32 = 5 blocks.
        Assert.Equal(16 * 4, LiveRates.KvBlocks(16, 32, 32));
        Assert.Equal(3 * 5, LiveRates.KvBlocks(3, 33, 32));
        Assert.Equal(BatchPolicy.DefaultBlockSize, 16);
    }

    [Fact]
    public void Profile_capacity_is_the_profiles_generated_tokens_per_second_over_the_tokens_per_request()
    {
        int sequences = 4, prompt = 8, output = 10;
        double tokens = ProfileThroughput.Predict(_profile, 2, 3, 1024, LiveRates.Policy(LiveRates.KvBlocks(sequences, prompt, output)),
            clients: 2 * sequences, requests: 50 * sequences, prompt, output);

        Assert.Equal(tokens / output, LiveRates.ProfileRps(_profile, 2, 3, 1024, sequences, prompt, output), 9);
    }

    [Fact]
    public void A_given_step_budget_is_the_one_the_profile_capacity_batches_with()
    {
        int sequences = 4, prompt = 8, output = 10;
        var policy = LiveRates.Policy(LiveRates.KvBlocks(sequences, prompt, output), maxBatchTokens: 6);
        Assert.Equal(6, policy.MaxBatchTokens);
        Assert.Equal(BatchPolicy.DefaultMaxBatchTokens, LiveRates.Policy(64).MaxBatchTokens);
        double tokens = ProfileThroughput.Predict(_profile, 2, 3, 1024, policy, clients: 2 * sequences, requests: 50 * sequences, prompt, output);

        Assert.Equal(tokens / output, LiveRates.ProfileRps(_profile, 2, 3, 1024, sequences, prompt, output, maxBatchTokens: 6), 9);
    }

    [Fact]
    public void A_saturated_instance_runs_its_whole_batch_each_step()
    {
        // Decode costs 1 ms a layer for any batch up to 16: 4 at once over 3 layers at D = 1 is 4 tokens per 3 ms, 1333
        // tokens/s, less the prefill steps (about a tenth of the steps, each 1-2 ms a layer); so between 100 and 133 requests/s of 10 tokens.
        double rps = LiveRates.ProfileRps(_profile, 1, 3, 1024, sequences: 4, promptTokens: 8, outputTokens: 10);

        Assert.InRange(rps, 100, 133.4);
        Assert.Equal(rps / 5, LiveRates.ProfileRps(_profile, 5, 3, 1024, 4, 8, 10), 9);
    }

    [Fact]
    public void Default_rates_are_half_and_twice_the_capacity_and_given_rates_win()
    {
        Assert.Equal(15.25, LiveRates.Steady(null, 30.5));
        Assert.Equal(61, LiveRates.Burst(null, 30.5));
        // Rounded up, so the burst is never below twice the capacity.
        Assert.True(LiveRates.Burst(null, 10.004) >= 2 * 10.004);
        Assert.Equal(3, LiveRates.Steady(3, 30));
        Assert.Equal(45, LiveRates.Burst(45, 30));
    }

    [Fact]
    public void New_instances_go_to_other_hosts_first()
    {
        Assert.Equal(["h1/gpu0", "h2/gpu0", "h3/gpu0"], LiveBenchmark.Gpus(3, 1));
        Assert.Equal(["h1/gpu0", "h2/gpu0", "h1/gpu1", "h2/gpu1"], LiveBenchmark.Gpus(2, 2));
    }

    public void Dispose() => _dir.Dispose();
}
