namespace BlitzScale.Scaling.Instances;

/// <summary>
/// One instance's state, since when, its loaded layers and its live-scaling partner: the one record of it. It is read
/// by anyone and changed only through <see cref="ModelInstances"/>, because pairing and failing touch two instances at
/// once and must keep both consistent.
/// </summary>
public sealed class InstanceLifecycle
{
    private readonly TimeProvider _time;

    internal InstanceLifecycle(int index, string shard, string gpu, string host, int totalLayers, TimeProvider time)
    {
        Index = index;
        Shard = shard;
        Gpu = gpu;
        Host = host;
        TotalLayers = totalLayers;
        _time = time;
        Since = time.GetUtcNow();
    }

    /// <summary>The instance number within its model.</summary>
    public int Index { get; }

    /// <summary>The key of its layer shard.</summary>
    public string Shard { get; }

    /// <summary>The key of the GPU it is placed on.</summary>
    public string Gpu { get; }

    /// <summary>The host of that GPU.</summary>
    public string Host { get; }

    /// <summary>Its state now.</summary>
    public InstanceState State { get; private set; } = InstanceState.Inactive;

    /// <summary>When it entered <see cref="State"/> (from the model's <see cref="TimeProvider"/>).</summary>
    public DateTimeOffset Since { get; private set; }

    /// <summary>How many layers have landed, a prefix <c>[0, LoadedLayers)</c> of the model; only grows while loading.</summary>
    public int LoadedLayers { get; private set; }

    /// <summary>
    /// How many trailing layers have landed with the head, <c>[TotalLayers − LoadedTailLayers, TotalLayers)</c>: what an instance
    /// whose layers land last first can run for a partner (<see cref="InstanceState.LiveTail"/>); only grows while loading.
    /// </summary>
    public int LoadedTailLayers { get; private set; }

    /// <summary>The model's layer count.</summary>
    public int TotalLayers { get; }

    /// <summary>The LiveOld or LiveTail partner of a LiveNew instance, or the LiveNew partner of a LiveOld or LiveTail one; null otherwise.</summary>
    public int? Partner { get; private set; }

    /// <summary>Why it failed, while <see cref="InstanceState.Failed"/>.</summary>
    public string? FailureReason { get; private set; }

    /// <summary>Whether every layer has landed.</summary>
    public bool HoldsEveryLayer => LoadedLayers == TotalLayers;

    /// <summary>
    /// Whether the router may send it requests: Serving, LiveOld, or LiveNew (which holds at least one layer by
    /// construction). Loading, Draining, Warm, Failed and Inactive instances take none.
    /// </summary>
    public bool TakesRequests => State is InstanceState.Serving or InstanceState.LiveOld or InstanceState.LiveNew;

    /// <summary>Whether a new instance may load from it: it holds every layer and is Serving, LiveOld, Draining or Warm.</summary>
    public bool IsLoadSource =>
        HoldsEveryLayer && State is InstanceState.Serving or InstanceState.LiveOld or InstanceState.Draining or InstanceState.Warm;

    /// <summary>Counts towards the instances a model runs: not Warm, Failed or Inactive (Draining ones are on their way out, so not counted either).</summary>
    public bool IsActive => State is InstanceState.Loading or InstanceState.LiveNew or InstanceState.Serving or InstanceState.LiveOld or InstanceState.LiveTail;

    /// <summary>Whether its parameters are still landing: Loading, LiveNew or LiveTail.</summary>
    public bool IsLoading => State is InstanceState.Loading or InstanceState.LiveNew or InstanceState.LiveTail;

    /// <summary>For logs: <c>"instance 3 (m/3/0 on h0/gpu1): LiveNew 5/32 layers, partner 1"</c>.</summary>
    public override string ToString() =>
        $"instance {Index} ({Shard} on {Gpu}): {State} {LoadedLayers}/{TotalLayers} layers"
        + (LoadedTailLayers > 0 && !HoldsEveryLayer ? $", the last {LoadedTailLayers}" : "")
        + (Partner is { } p ? $", partner {p}" : "") + (FailureReason is { } r ? $": {r}" : "");

    /// <summary>Inactive → Loading: placed, parameters about to arrive.</summary>
    internal TransitionResult StartLoading()
    {
        if (State != InstanceState.Inactive) return Refuse(InstanceState.Loading, "only an Inactive instance starts loading");
        LoadedLayers = 0;
        LoadedTailLayers = 0;
        return Move(InstanceState.Loading);
    }

    /// <summary>
    /// Layers <c>[0, loadedLayers)</c> have landed. Counts only grow: a report at or below the count known is a stale event
    /// (events may arrive out of order) and changes nothing. Instances that hold every layer accept any count up to the total.
    /// </summary>
    internal TransitionResult LayersLanded(int loadedLayers) =>
        Landed(loadedLayers, $"{loadedLayers} layers landed", n => LoadedLayers = Math.Max(LoadedLayers, n));

    /// <summary>
    /// The last <paramref name="tailLayers"/> layers have landed with the head (a load that lands them last first). As
    /// <see cref="LayersLanded"/>, counts only grow.
    /// </summary>
    internal TransitionResult TailLayersLanded(int tailLayers) =>
        Landed(tailLayers, $"the last {tailLayers} layers landed", n => LoadedTailLayers = Math.Max(LoadedTailLayers, n));

    // A count of landed layers within the model, on an instance that loads or holds layers; a stale (lower) one changes nothing.
    private TransitionResult Landed(int layers, string what, Action<int> grow)
    {
        if (layers < 0 || layers > TotalLayers) return Refuse(State, $"{what}, expected 0 to {TotalLayers}");
        if (State is InstanceState.Inactive or InstanceState.Failed) return Refuse(State, $"an {State} instance is not loading");
        grow(layers);
        return new TransitionResult(Index, State, State);
    }

    /// <summary>Loading → Serving: every layer has landed (a LiveNew instance finishes through its pair instead).</summary>
    internal TransitionResult FinishLoading()
    {
        if (State != InstanceState.Loading)
            return Refuse(InstanceState.Serving, State == InstanceState.LiveNew ? "a LiveNew instance finishes with its LiveOld partner" : "only a Loading instance finishes loading");
        if (!HoldsEveryLayer) return Refuse(InstanceState.Serving, $"{LoadedLayers} of {TotalLayers} layers have landed");
        return Move(InstanceState.Serving);
    }

    /// <summary>Serving → Draining: scaled down, finishes what it holds.</summary>
    internal TransitionResult Drain() =>
        State == InstanceState.Serving
            ? Move(InstanceState.Draining)
            : Refuse(InstanceState.Draining, State == InstanceState.LiveOld ? "a LiveOld instance is serving its LiveNew partner; unpair it first" : "only a Serving instance drains");

    /// <summary>Draining → Warm: no requests left (the caller knows: the router's outstanding tokens for it are 0).</summary>
    internal TransitionResult Drained() =>
        State == InstanceState.Draining ? Move(InstanceState.Warm) : Refuse(InstanceState.Warm, "only a Draining instance turns Warm");

    /// <summary>Warm → Serving, or Draining → Serving (scaled up again before it stopped): it holds every layer.</summary>
    internal TransitionResult Revive() =>
        State is InstanceState.Warm or InstanceState.Draining
            ? Move(InstanceState.Serving)
            : Refuse(InstanceState.Serving, "only a Warm or Draining instance is revived");

    /// <summary>Warm → Inactive: evicted or unloaded; its parameters are gone.</summary>
    internal TransitionResult Evict()
    {
        if (State != InstanceState.Warm) return Refuse(InstanceState.Inactive, "only a Warm instance is evicted");
        LoadedLayers = 0;
        LoadedTailLayers = 0;
        return Move(InstanceState.Inactive);
    }

    /// <summary>Any state → Failed. The caller has already released the partner, if any.</summary>
    internal TransitionResult Fail(string reason)
    {
        if (string.IsNullOrWhiteSpace(reason)) return Refuse(InstanceState.Failed, "a failure needs a reason");
        if (State == InstanceState.Failed) return Refuse(InstanceState.Failed, $"it failed already: {FailureReason}");
        var result = Move(InstanceState.Failed);
        Partner = null;
        FailureReason = reason;
        return result;
    }

    /// <summary>Failed → Inactive: its resources are released and it may be placed again.</summary>
    internal TransitionResult Reset()
    {
        if (State != InstanceState.Failed) return Refuse(InstanceState.Inactive, "only a Failed instance is reset");
        LoadedLayers = 0;
        LoadedTailLayers = 0;
        FailureReason = null;
        return Move(InstanceState.Inactive);
    }

    /// <summary>Loading → LiveNew, Serving → LiveOld, or Loading → LiveTail, beside <paramref name="partner"/>; the model checked both sides first.</summary>
    internal void JoinPair(InstanceState role, int partner)
    {
        Move(role);
        Partner = partner;
    }

    /// <summary>LiveNew → Loading or Serving, LiveOld → Serving, LiveTail → Loading: the pair is over.</summary>
    internal void LeavePair(InstanceState to)
    {
        Move(to);
        Partner = null;
    }

    /// <summary>
    /// What a LiveOld or LiveTail becomes when its pair ends: Serving once it holds every layer, Loading while its own load
    /// goes on (a LiveTail's partner finished or left first).
    /// </summary>
    internal InstanceState AfterPairAsTail => HoldsEveryLayer ? InstanceState.Serving : InstanceState.Loading;

    /// <summary>LiveTail → LiveOld: its own load completed while its LiveNew partner still loads; from now on it serves requests too.</summary>
    internal TransitionResult TailLoaded()
    {
        if (State != InstanceState.LiveTail) return Refuse(InstanceState.LiveOld, "only a LiveTail instance finishes loading beside its LiveNew");
        if (!HoldsEveryLayer) return Refuse(InstanceState.LiveOld, $"{LoadedLayers} of {TotalLayers} layers have landed");
        return Move(InstanceState.LiveOld);
    }

    internal TransitionResult Refuse(InstanceState to, string why) => TransitionResult.Refused(Index, State, to, why);

    private TransitionResult Move(InstanceState to)
    {
        var from = State;
        State = to;
        Since = _time.GetUtcNow();
        return new TransitionResult(Index, from, to);
    }
}
