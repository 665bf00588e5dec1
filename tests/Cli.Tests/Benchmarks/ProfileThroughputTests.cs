using BlitzScale.Cli.Benchmarks;
using BlitzScale.Native.Compute.Timed;
using BlitzScale.Scaling.Serving;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>The profile's prediction of a closed-loop workload, worked out by hand on a tiny profile.</summary>
public sealed class ProfileThroughputTests : IDisposable
{
    // Per layer: prefill of T tokens from (1, 1 ms) to (10, 2 ms); decode of B sequences from (1, 1 ms) to (4, 1.5 ms).
    private const string Row = """{"model": "t", "layer_bytes_bf16": 1000, "n_layers": 2, "prefill_T10_ms": 2.0, "decode_B1_ctx1024_ms": 1.0, "decode_B4_ctx1024_ms": 1.5}""";
    private readonly TempDirectory _dir = new();
    private readonly CostProfile _profile;

    public ProfileThroughputTests()
    {
        string path = _dir.File("costs.jsonl");
        File.WriteAllLines(path, [Row]);
        _profile = CostProfile.Load(path, "t");
    }

    [Fact]
    public void One_client_pays_a_prefill_step_then_a_decode_step_per_further_token()
    {
        // Prompt 10: one prefill step of 10 tokens (2 ms a layer) gives token 1; tokens 2..4 are decodes of one (1 ms a layer).
        double rate = ProfileThroughput.Predict(_profile, dilation: 1, layers: 3, contextLength: 64, new BatchPolicy { KvBlocks = 16 },
            clients: 1, requests: 2, promptTokens: 10, maxTokens: 4);

        double secondsPerRequest = 3 * (2.0 + 3 * 1.0) / 1e3;
        Assert.Equal(8 / (2 * secondsPerRequest), rate, 6);
    }

    [Fact]
    public void Dilation_stretches_the_prediction()
    {
        var policy = new BatchPolicy { KvBlocks = 64 };
        double plain = ProfileThroughput.Predict(_profile, 1, 2, 64, policy, clients: 4, requests: 8, promptTokens: 5, maxTokens: 6);
        double stretched = ProfileThroughput.Predict(_profile, 5, 2, 64, policy, clients: 4, requests: 8, promptTokens: 5, maxTokens: 6);

        Assert.Equal(plain / 5, stretched, 6);
    }

    [Fact]
    public void Batched_clients_share_decode_steps()
    {
        var policy = new BatchPolicy { KvBlocks = 64 };
        double alone = ProfileThroughput.Predict(_profile, 1, 2, 64, policy, clients: 1, requests: 4, promptTokens: 5, maxTokens: 8);
        double together = ProfileThroughput.Predict(_profile, 1, 2, 64, policy, clients: 4, requests: 4, promptTokens: 5, maxTokens: 8);

        // Four decodes cost 1.5 ms a layer instead of four times 1 ms.
        Assert.True(together > 2 * alone, $"4 clients at once predicted {together:F1} tokens/s, one at a time {alone:F1}");
    }

    public void Dispose() => _dir.Dispose();
}
