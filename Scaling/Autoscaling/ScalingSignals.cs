using System.Globalization;

namespace BlitzScale.Scaling.Autoscaling;

/// <summary>The model-wide load a decision was made on.</summary>
/// <param name="PrefillLoad">Queued prefill tokens over what the active instances prefill in the prefill window (0 while capacity is unknown).</param>
/// <param name="DecodeLoad">KV blocks in use over the active instances' KV blocks.</param>
/// <param name="QueuedPrefillTokens">Prompt tokens not yet prefilled: all instances' queues and the prompts held at the model.</param>
/// <param name="RunningDecodeTokens">Tokens of requests in decode, all instances.</param>
/// <param name="KvBlocksUsed">KV blocks in use, all instances.</param>
/// <param name="PrefillTokensPerSecond">One instance's prefill capacity: measured under load, or the instances' rating at start (0: neither known).</param>
/// <param name="KvBlocksPerInstance">One instance's KV blocks (0: not yet known).</param>
/// <param name="HeldRequests">Requests the model holds because no instance takes requests.</param>
/// <param name="Serving">Instances taking requests.</param>
/// <param name="Loading">Instances loading.</param>
/// <param name="RecentTtftMs">The highest recent TTFT of an instance.</param>
/// <param name="RecentTbtMs">The highest recent time between tokens of an instance.</param>
/// <param name="PrefillCapacityRated">The prefill capacity is the instances' rating at start, not yet measured under load.</param>
public sealed record ScalingSignals(
    double PrefillLoad,
    double DecodeLoad,
    long QueuedPrefillTokens,
    long RunningDecodeTokens,
    int KvBlocksUsed,
    double PrefillTokensPerSecond,
    int KvBlocksPerInstance,
    int HeldRequests,
    int Serving,
    int Loading,
    double RecentTtftMs,
    double RecentTbtMs,
    bool PrefillCapacityRated = false)
{
    /// <summary>One line for events and logs.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"prefill {PrefillLoad:F2} ({QueuedPrefillTokens} queued tokens, capacity {PrefillTokensPerSecond:F0} tokens/s{(PrefillCapacityRated ? " rated" : "")}), " +
        $"decode {DecodeLoad:F2} ({KvBlocksUsed} KV blocks, {RunningDecodeTokens} decode tokens), held {HeldRequests}, " +
        $"serving {Serving}, loading {Loading}, ttft {RecentTtftMs:F0} ms, tbt {RecentTbtMs:F1} ms");
}
