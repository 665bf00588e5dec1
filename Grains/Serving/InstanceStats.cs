namespace BlitzScale.Grains.Serving;

/// <summary>A snapshot of one instance's load, for metrics and the autoscaler.</summary>
/// <param name="Waiting">Requests queued.</param>
/// <param name="Running">Requests prefilling or decoding.</param>
/// <param name="KvBlocksUsed">KV blocks owned by running requests.</param>
/// <param name="KvBlocksTotal">KV blocks of the instance.</param>
/// <param name="TokensGenerated">Tokens delivered since the start (EOS markers excluded).</param>
/// <param name="StepsRun">Engine steps completed since the start.</param>
/// <param name="QueuedPrefillTokens">Prompt tokens not yet prefilled.</param>
/// <param name="RunningDecodeTokens">Tokens held by running requests past their prefill.</param>
/// <param name="PrefilledTokens">Prompt tokens prefilled since the start.</param>
/// <param name="PrefillSeconds">Step time spent on them: each step's time shared among its tokens.</param>
/// <param name="RecentTtftMs">Moving average of the time to first token.</param>
/// <param name="RecentTbtMs">Moving average of the time between tokens.</param>
/// <param name="StepSeconds">Time spent in engine steps since the start (how busy its device was).</param>
/// <param name="SplitStepSeconds">
/// A LiveOld's share of <paramref name="StepSeconds"/> spent on the tails of split requests: each step's time shared among its
/// segments by tokens × layers run.
/// </param>
public sealed record InstanceStats(int Waiting, int Running, int KvBlocksUsed, int KvBlocksTotal, long TokensGenerated, long StepsRun,
    long QueuedPrefillTokens = 0, long RunningDecodeTokens = 0, long PrefilledTokens = 0, double PrefillSeconds = 0,
    double RecentTtftMs = 0, double RecentTbtMs = 0, double StepSeconds = 0, double SplitStepSeconds = 0);
