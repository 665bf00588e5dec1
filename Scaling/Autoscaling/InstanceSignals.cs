using BlitzScale.Scaling.Instances;

namespace BlitzScale.Scaling.Autoscaling;

/// <summary>
/// What one instance of a model reports to the autoscaler at a tick: its state and since when, its batcher's load, and
/// its cumulative prefill work (the capacity estimate is taken from the growth of these between ticks).
/// </summary>
/// <param name="Instance">The instance number.</param>
/// <param name="State">Its state in the model's state machine.</param>
/// <param name="Since">When it entered <paramref name="State"/>; for a serving one, since when it serves (its warm-up starts there).</param>
/// <param name="QueuedPrefillTokens">Prompt tokens not yet prefilled: waiting requests' whole prompts and running requests' rest.</param>
/// <param name="RunningDecodeTokens">Tokens held by requests past their prefill (one decode position each per step).</param>
/// <param name="KvBlocksUsed">KV blocks reserved by running requests.</param>
/// <param name="KvBlocksTotal">KV blocks of the instance (0 while it has no server yet).</param>
/// <param name="PrefilledTokens">Prompt tokens prefilled since it started serving.</param>
/// <param name="PrefillSeconds">Step time spent on those tokens (each step's time shared by its tokens).</param>
/// <param name="RecentTtftMs">Recent time to first token (a moving average; 0 before the first).</param>
/// <param name="RecentTbtMs">Recent time between tokens (a moving average; 0 before the first).</param>
/// <param name="FeedsLoad">A load in progress fetches from it (it holds the whole model and was planned as a source).</param>
/// <param name="Answered">
/// Its shard answered this tick's reading. One that did not (busy, just placed, or on a silo not yet declared dead) still
/// counts against the instance range with its state, without figures: left out, a tick counted one instance fewer and scaled
/// up past the maximum once it answered again.
/// </param>
/// <param name="RatedPrefillTokensPerSecond">
/// The prefill capacity it was rated at when it started serving (the cost profile's, or measured before its first request);
/// 0 while it has not. The capacity until the instances have been measured under load.
/// </param>
public sealed record InstanceSignals(
    int Instance,
    InstanceState State,
    DateTimeOffset Since,
    long QueuedPrefillTokens = 0,
    long RunningDecodeTokens = 0,
    int KvBlocksUsed = 0,
    int KvBlocksTotal = 0,
    long PrefilledTokens = 0,
    double PrefillSeconds = 0,
    double RecentTtftMs = 0,
    double RecentTbtMs = 0,
    bool FeedsLoad = false,
    bool Answered = true,
    double RatedPrefillTokensPerSecond = 0)
{
    /// <summary>Counted against the instance range and as capacity: loading (it will serve soon) or serving.</summary>
    public bool IsActive => State is InstanceState.Loading or InstanceState.LiveNew or InstanceState.Serving or InstanceState.LiveOld or InstanceState.LiveTail;

    /// <summary>Still on its way: its capacity is counted, its load is not there yet.</summary>
    public bool IsLoading => State is InstanceState.Loading or InstanceState.LiveNew or InstanceState.LiveTail;
}
