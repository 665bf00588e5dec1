namespace BlitzScale.Scaling.Instances;

/// <summary>
/// All instances of one model and their states: the one source of truth the model grain, the router and the autoscaler
/// read. Every change goes through a method here that returns a <see cref="TransitionResult"/>; changes that touch two
/// instances (pairing a LiveNew with a LiveOld, unpairing, finishing a live pair, a failure inside a pair) are made to
/// both at once, so a LiveNew always has a LiveOld partner that names it back. Pure and deterministic: no I/O, no
/// threads, time only from the injected <see cref="TimeProvider"/>; not thread-safe (a grain calls it from its turns).
/// </summary>
/// <remarks>
/// Pairing needs at least one landed layer: a LiveNew instance can always run part of a request, so the router may send
/// it requests without asking how far its load got. The model grain pairs on the first layer-ready event.
/// </remarks>
public sealed class ModelInstances(TimeProvider time)
{
    private readonly SortedDictionary<int, InstanceLifecycle> _instances = [];
    private readonly Dictionary<string, InstanceLifecycle> _byShard = new(StringComparer.Ordinal);

    /// <summary>How many instances the model has (in any state).</summary>
    public int Count => _instances.Count;

    /// <summary>Every instance, by index.</summary>
    public IReadOnlyList<InstanceLifecycle> All => [.. _instances.Values];

    /// <summary>The instances the router may send requests to (<see cref="InstanceLifecycle.TakesRequests"/>), by index.</summary>
    public IReadOnlyList<InstanceLifecycle> TakingRequests => [.. _instances.Values.Where(i => i.TakesRequests)];

    /// <summary>The instances a new one may load from (<see cref="InstanceLifecycle.IsLoadSource"/>), by index.</summary>
    public IReadOnlyList<InstanceLifecycle> LoadSources => [.. _instances.Values.Where(i => i.IsLoadSource)];

    /// <summary>
    /// Adds an Inactive instance. Indexes and shard keys are the caller's and must be new.
    /// </summary>
    /// <exception cref="ArgumentException">The index or shard is taken, a key is empty, or the layer count is not positive.</exception>
    public InstanceLifecycle Add(int index, string shard, string gpu, string host, int totalLayers)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(shard);
        ArgumentException.ThrowIfNullOrWhiteSpace(gpu);
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalLayers);
        if (_instances.ContainsKey(index)) throw new ArgumentException($"instance {index} exists already", nameof(index));
        if (_byShard.ContainsKey(shard)) throw new ArgumentException($"shard \"{shard}\" belongs to another instance", nameof(shard));
        var instance = new InstanceLifecycle(index, shard, gpu, host, totalLayers, time);
        _instances.Add(index, instance);
        _byShard.Add(shard, instance);
        return instance;
    }

    /// <summary>The instance numbered <paramref name="index"/>, or null.</summary>
    public InstanceLifecycle? Find(int index) => _instances.GetValueOrDefault(index);

    /// <summary>The instance whose shard key is <paramref name="shard"/> (events name shards), or null.</summary>
    public InstanceLifecycle? FindByShard(string shard) => _byShard.GetValueOrDefault(shard);

    /// <summary>
    /// Forgets an instance that is no longer part of a pair (Inactive, Loading, Serving, Draining, Warm or Failed); the
    /// caller has unloaded it or is about to. <see cref="TransitionResult.To"/> reads Inactive.
    /// </summary>
    public TransitionResult Remove(int index)
    {
        if (!_instances.TryGetValue(index, out var instance)) return Unknown(index, InstanceState.Inactive);
        if (instance.Partner is not null)
            return instance.Refuse(InstanceState.Inactive, $"it is {instance.State} beside instance {instance.Partner}; unpair it or fail it first");
        _instances.Remove(index);
        _byShard.Remove(instance.Shard);
        return new TransitionResult(index, instance.State, InstanceState.Inactive);
    }

    /// <summary>Inactive → Loading.</summary>
    public TransitionResult StartLoading(int index) => With(index, InstanceState.Loading, i => i.StartLoading());

    /// <summary>
    /// Layers <c>[0, loadedLayers)</c> have landed on a Loading or LiveNew instance. Stale reports (at or below the count
    /// known) change nothing; counts above the total are refused.
    /// </summary>
    public TransitionResult LayersLanded(int index, int loadedLayers) =>
        With(index, Find(index)?.State ?? InstanceState.Inactive, i => i.LayersLanded(loadedLayers));

    /// <summary>The last <paramref name="tailLayers"/> layers landed with the head on an instance loading last first.</summary>
    public TransitionResult TailLayersLanded(int index, int tailLayers) =>
        With(index, Find(index)?.State ?? InstanceState.Inactive, i => i.TailLayersLanded(tailLayers));

    /// <summary>Loading → Serving, once every layer has landed.</summary>
    public TransitionResult FinishLoading(int index) => With(index, InstanceState.Serving, i => i.FinishLoading());

    /// <summary>LiveTail → LiveOld, once every layer has landed on it while its LiveNew partner still loads.</summary>
    public TransitionResult TailLoaded(int index) => With(index, InstanceState.LiveOld, i => i.TailLoaded());

    /// <summary>Serving → Draining (scale down).</summary>
    public TransitionResult Drain(int index) => With(index, InstanceState.Draining, i => i.Drain());

    /// <summary>Draining → Warm, once it holds no requests.</summary>
    public TransitionResult Drained(int index) => With(index, InstanceState.Warm, i => i.Drained());

    /// <summary>Warm → Serving or Draining → Serving.</summary>
    public TransitionResult Revive(int index) => With(index, InstanceState.Serving, i => i.Revive());

    /// <summary>Warm → Inactive (evicted or unloaded).</summary>
    public TransitionResult Evict(int index) => With(index, InstanceState.Inactive, i => i.Evict());

    /// <summary>Failed → Inactive.</summary>
    public TransitionResult Reset(int index) => With(index, InstanceState.Inactive, i => i.Reset());

    /// <summary>
    /// Any state → Failed. A failing LiveNew leaves its partner Serving (a LiveTail partner Loading); a failing LiveOld or
    /// LiveTail sends its partner back to Loading (without its tail layers it cannot finish a request). The partner is named in
    /// the result.
    /// </summary>
    public TransitionResult Fail(int index, string reason)
    {
        if (!_instances.TryGetValue(index, out var instance)) return Unknown(index, InstanceState.Failed);
        var partner = instance.Partner is { } p ? _instances[p] : null;
        var result = instance.Fail(reason);
        if (!result.Applied || partner is null) return result;
        partner.LeavePair(partner.State == InstanceState.LiveNew ? InstanceState.Loading : partner.AfterPairAsTail);
        return result with { Partner = partner.Index };
    }

    /// <summary>
    /// Pairs a Loading instance holding at least one layer (it becomes LiveNew) with a Serving one (it becomes LiveOld),
    /// both at once.
    /// </summary>
    public TransitionResult Pair(int newIndex, int oldIndex)
    {
        if (!_instances.TryGetValue(newIndex, out var fresh)) return Unknown(newIndex, InstanceState.LiveNew);
        if (!_instances.TryGetValue(oldIndex, out var old))
            return fresh.Refuse(InstanceState.LiveNew, $"partner instance {oldIndex} is not one of this model's");
        if (fresh.State != InstanceState.Loading) return fresh.Refuse(InstanceState.LiveNew, "only a Loading instance pairs as LiveNew");
        if (CannotRunFirstLayers(fresh) is { } refused) return refused;
        if (old.State != InstanceState.Serving)
            return fresh.Refuse(InstanceState.LiveNew, $"partner instance {oldIndex} is {old.State}; only a Serving one becomes LiveOld");
        fresh.JoinPair(InstanceState.LiveNew, oldIndex);
        old.JoinPair(InstanceState.LiveOld, newIndex);
        return new TransitionResult(newIndex, InstanceState.Loading, InstanceState.LiveNew, Partner: oldIndex);
    }

    /// <summary>
    /// Pairs two Loading instances whose loads land in complementary orders, both at once: <paramref name="headIndex"/>, its first
    /// layers first, becomes LiveNew (or, already LiveNew beside a LiveOld, leaves that one, which becomes Serving);
    /// <paramref name="tailIndex"/>, its last layers first, becomes LiveTail and runs the rest of the LiveNew's requests. Only once
    /// the two hold the whole model between them.
    /// </summary>
    public TransitionResult PairTail(int headIndex, int tailIndex)
    {
        if (!_instances.TryGetValue(headIndex, out var head)) return Unknown(headIndex, InstanceState.LiveNew);
        if (!_instances.TryGetValue(tailIndex, out var tail))
            return head.Refuse(InstanceState.LiveNew, $"partner instance {tailIndex} is not one of this model's");
        var old = head.State == InstanceState.LiveNew && head.Partner is { } p ? _instances[p] : null;
        if (head.State != InstanceState.Loading && old?.State != InstanceState.LiveOld)
            return head.Refuse(InstanceState.LiveNew, "only a Loading instance, or a LiveNew beside a LiveOld, pairs with a LiveTail");
        if (CannotRunFirstLayers(head) is { } refused) return refused;
        if (tail.State != InstanceState.Loading || tail.HoldsEveryLayer)
            return head.Refuse(InstanceState.LiveNew, $"partner instance {tailIndex} is {tail.State}{(tail.HoldsEveryLayer ? " with every layer" : "")}; only a Loading one becomes LiveTail");
        if (head.LoadedLayers + tail.LoadedTailLayers < head.TotalLayers)
        {
            return head.Refuse(InstanceState.LiveNew,
                $"its first {head.LoadedLayers} layers and its partner's last {tail.LoadedTailLayers} do not cover the model's {head.TotalLayers}");
        }
        // A LiveNew leaves its busy partner for the tail; what that partner split finishes there, and it serves on alone.
        var from = head.State;
        old?.LeavePair(old.AfterPairAsTail);
        head.JoinPair(InstanceState.LiveNew, tailIndex);
        tail.JoinPair(InstanceState.LiveTail, headIndex);
        return new TransitionResult(headIndex, from, InstanceState.LiveNew, Partner: tailIndex);
    }

    /// <summary>Ends a pair before the load completes: LiveNew → Loading, its LiveOld partner → Serving (a LiveTail → Loading).</summary>
    public TransitionResult Unpair(int newIndex)
    {
        if (!_instances.TryGetValue(newIndex, out var fresh)) return Unknown(newIndex, InstanceState.Loading);
        if (fresh.State != InstanceState.LiveNew) return fresh.Refuse(InstanceState.Loading, "only a LiveNew instance is unpaired");
        var old = _instances[fresh.Partner!.Value];
        fresh.LeavePair(InstanceState.Loading);
        old.LeavePair(old.AfterPairAsTail);
        return new TransitionResult(newIndex, InstanceState.LiveNew, InstanceState.Loading, Partner: old.Index);
    }

    /// <summary>Finishes a live pair once the LiveNew instance holds every layer: both become Serving (a LiveTail still loading, Loading).</summary>
    public TransitionResult FinishLive(int newIndex)
    {
        if (!_instances.TryGetValue(newIndex, out var fresh)) return Unknown(newIndex, InstanceState.Serving);
        if (fresh.State != InstanceState.LiveNew) return fresh.Refuse(InstanceState.Serving, "only a LiveNew instance finishes a live pair");
        if (!fresh.HoldsEveryLayer) return fresh.Refuse(InstanceState.Serving, $"{fresh.LoadedLayers} of {fresh.TotalLayers} layers have landed");
        var old = _instances[fresh.Partner!.Value];
        fresh.LeavePair(InstanceState.Serving);
        old.LeavePair(old.AfterPairAsTail);
        return new TransitionResult(newIndex, InstanceState.LiveNew, InstanceState.Serving, Partner: old.Index);
    }

    /// <summary>How many instances are in <paramref name="state"/>.</summary>
    public int CountIn(InstanceState state) => _instances.Values.Count(i => i.State == state);

    /// <summary>How many instances are in each state, every state listed (zeros included), in the enum's order.</summary>
    public IReadOnlyDictionary<InstanceState, int> CountByState()
    {
        var counts = Enum.GetValues<InstanceState>().ToDictionary(s => s, _ => 0);
        foreach (var instance in _instances.Values) counts[instance.State]++;
        return counts;
    }

    // A LiveNew runs its requests' first layers: it needs some landed, and none left to land.
    private static TransitionResult? CannotRunFirstLayers(InstanceLifecycle fresh) =>
        fresh.LoadedLayers == 0 ? fresh.Refuse(InstanceState.LiveNew, "no layer has landed yet, so it could run nothing")
        : fresh.HoldsEveryLayer ? fresh.Refuse(InstanceState.LiveNew, "every layer has landed; finish loading instead")
        : null;

    private TransitionResult With(int index, InstanceState to, Func<InstanceLifecycle, TransitionResult> change) =>
        _instances.TryGetValue(index, out var instance) ? change(instance) : Unknown(index, to);

    private static TransitionResult Unknown(int index, InstanceState to) =>
        TransitionResult.Refused(index, InstanceState.Inactive, to, $"instance {index} is not one of this model's");
}
