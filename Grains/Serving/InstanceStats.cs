namespace BlitzScale.Grains.Serving;

/// <summary>A snapshot of one instance's load, for metrics and the autoscaler.</summary>
/// <param name="Waiting">Requests queued.</param>
/// <param name="Running">Requests prefilling or decoding.</param>
/// <param name="KvBlocksUsed">KV blocks owned by running requests.</param>
/// <param name="KvBlocksTotal">KV blocks of the instance.</param>
/// <param name="TokensGenerated">Tokens delivered since the start (EOS markers excluded).</param>
/// <param name="StepsRun">Engine steps completed since the start.</param>
public sealed record InstanceStats(int Waiting, int Running, int KvBlocksUsed, int KvBlocksTotal, long TokensGenerated, long StepsRun);
