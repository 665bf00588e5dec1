using BlitzScale.Native.Compute.Timed;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// How big <c>bench live</c>'s instances are and how hard it drives them: KV blocks for a fixed batch, one instance's
/// capacity from the cost profile, and the default steady and burst rates derived from the capacity.
/// </summary>
internal static class LiveRates
{
    /// <summary>Default steady rate as a share of one instance's capacity (below it: no queue before the burst).</summary>
    public const double SteadyShare = 0.5;
    /// <summary>Default burst rate as a multiple of one instance's capacity (the brief's "≥ 2×").</summary>
    public const double BurstMultiple = 2.0;

    /// <summary>
    /// One instance's bytes on its GPU: the model's parameters and <paramref name="kvBlocks"/> KV blocks (their block size is
    /// every policy's, whatever its step budget); what each emulated GPU is sized for (<see cref="MulticastTestbed.GpuMemoryFor"/>).
    /// </summary>
    public static long InstanceBytes(LlamaConfig config, long modelBytes, int kvBlocks) =>
        modelBytes + new KvStoreShape(kvBlocks, Policy(kvBlocks).BlockSize).Bytes(config);

    /// <summary>KV blocks that hold exactly <paramref name="sequences"/> requests of this length at once (so the batch, hence the capacity, is fixed).</summary>
    public static int KvBlocks(int sequences, int promptTokens, int outputTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequences);
        int perRequest = (promptTokens + outputTokens + BatchPolicy.DefaultBlockSize - 1) / BatchPolicy.DefaultBlockSize;
        return sequences * perRequest;
    }

    /// <summary>The batching of a shard deployed with <paramref name="kvBlocks"/> and a step budget of <paramref name="maxBatchTokens"/> (the default when null; LayerShardGrain: that budget and its running cap).</summary>
    public static BatchPolicy Policy(int kvBlocks, int? maxBatchTokens = null) => BatchPolicy.ForBudget(maxBatchTokens) with { KvBlocks = kvBlocks };

    /// <summary>
    /// Requests per second the profile predicts for one saturated instance: twice its batch of closed-loop clients, long
    /// enough that the ramp at the end hardly counts, generated tokens/s ÷ tokens per request.
    /// </summary>
    public static double ProfileRps(CostProfile profile, double dilation, int layers, int contextLength, int sequences, int promptTokens, int outputTokens,
        int? maxBatchTokens = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        double tokensPerSecond = ProfileThroughput.Predict(profile, dilation, layers, contextLength, Policy(KvBlocks(sequences, promptTokens, outputTokens), maxBatchTokens),
            clients: 2 * sequences, requests: 50 * sequences, promptTokens, outputTokens);
        return tokensPerSecond / outputTokens;
    }

    /// <summary>The steady rate: the one given, else <see cref="SteadyShare"/> of the capacity (to 0.01 request/s).</summary>
    public static double Steady(double? given, double capacityRps) => given ?? Math.Round(SteadyShare * capacityRps, 2);

    /// <summary>The burst rate: the one given, else <see cref="BurstMultiple"/> × the capacity, rounded up to 0.01 request/s.</summary>
    public static double Burst(double? given, double capacityRps) => given ?? Math.Ceiling(BurstMultiple * capacityRps * 100) / 100;
}
