namespace BlitzScale.Scaling.Live;

/// <summary>
/// The zigzag scheduler of a live-scaling pair: LiveNew, holding decoder layers [0, loaded), runs each request's prompt
/// as far as its loaded layers reach; LiveOld pulls blocked requests and from then on runs their remaining layers.
/// Pure: no threads, time only from the injected <see cref="TimeProvider"/>; not thread-safe, so its owner serializes calls.
/// </summary>
/// <remarks>
/// <para>A request is <em>ready</em> when its next layer is loaded (Progress &lt; loaded) and <em>blocked</em> when it has
/// run every loaded layer but not the whole model (0 &lt; Progress = loaded &lt; L). Ready requests advance first, FCFS
/// among them; LiveOld pulls the earliest blocked one, splitting it for good at j = Progress. A request that reaches
/// layer L on LiveNew first is local.</para>
/// <para>
/// Queued ──PlanAdvance──▶ Advancing ──Advanced──▶ Queued (or Local at L)
///   │  ◀──AdvanceAborted──┘
///   └──Pull (blocked, Split &lt; Limit)──▶ Split
/// </para>
/// <para>Loaded layers only grow: every call that takes them refuses a smaller count than one seen before.</para>
/// </remarks>
public sealed class ZigZagScheduler
{
    private readonly ZigZagOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, LiveRequest> _requests = new(StringComparer.Ordinal);
    // Queued requests only, by arrival order: FCFS scans for both advancing and pulling.
    private readonly SortedDictionary<long, LiveRequest> _queued = [];
    private long _nextOrder;
    private int _loadedSeen;
    private int _split;
    private int _local;
    private DateTimeOffset? _calmSince;

    /// <summary>A scheduler for a model of <paramref name="totalLayers"/> decoder layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="totalLayers"/> is not positive, or an option is out of range.</exception>
    public ZigZagScheduler(int totalLayers, ZigZagOptions options, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalLayers);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        TotalLayers = totalLayers;
        _options = options;
        _time = time;
        Limit = options.InitialLimit;
    }

    /// <summary>The model's decoder layers, L.</summary>
    public int TotalLayers { get; }

    /// <summary>How many requests may be split at once now; between the options' minimum and initial limit.</summary>
    public int Limit { get; private set; }

    /// <summary>Requests waiting (ready or blocked).</summary>
    public int Queued => _queued.Count;

    /// <summary>Requests split between LiveNew and LiveOld.</summary>
    public int Split => _split;

    /// <summary>Requests finishing on LiveNew alone.</summary>
    public int Local => _local;

    /// <summary>All requests tracked, in every state.</summary>
    public int Count => _requests.Count;

    /// <summary>Tracks a new request, queued behind every earlier one, with no layers run.</summary>
    /// <exception cref="ArgumentException"><paramref name="id"/> is already tracked, or <paramref name="promptTokens"/> is below 1.</exception>
    public LiveRequest Admit(string id, int promptTokens)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentOutOfRangeException.ThrowIfLessThan(promptTokens, 1);
        if (_requests.ContainsKey(id)) throw new ArgumentException($"request '{id}' is already tracked", nameof(id));
        var request = new LiveRequest(id, _nextOrder++, promptTokens);
        _requests.Add(id, request);
        Enqueue(request);
        return request;
    }

    /// <summary>The request <paramref name="id"/>, or null when it is not tracked.</summary>
    public LiveRequest? Find(string id) => _requests.GetValueOrDefault(id);

    /// <summary>
    /// Plans advances for queued requests whose next layer is loaded, FCFS, until <paramref name="tokenBudget"/> prompt
    /// tokens are used; the first one is planned even when it alone exceeds the budget, so a large prompt cannot starve.
    /// Each becomes <see cref="LiveRequestState.Advancing"/>, to run [Progress, <paramref name="loadedLayers"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="loadedLayers"/> is outside [0, L] or below an earlier count, or <paramref name="tokenBudget"/> is not positive.</exception>
    public IReadOnlyList<LiveAdvance> PlanAdvance(int loadedLayers, int tokenBudget)
    {
        SeeLoaded(loadedLayers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokenBudget);
        var planned = new List<LiveAdvance>();
        var used = 0;
        foreach (var request in _queued.Values)
        {
            if (request.Progress >= loadedLayers) continue;
            // Strict FCFS among ready requests: the first that does not fit ends the plan rather than being overtaken.
            if (planned.Count > 0 && used + request.PromptTokens > tokenBudget) break;
            planned.Add(new LiveAdvance(request.Id, request.Progress, loadedLayers, request.PromptTokens));
            used += request.PromptTokens;
            if (used >= tokenBudget) break;
        }
        foreach (var advance in planned)
        {
            var request = _requests[advance.Id];
            _queued.Remove(request.Order);
            request.State = LiveRequestState.Advancing;
            request.PlannedEnd = advance.EndLayer;
        }
        return planned;
    }

    /// <summary>The planned advance of <paramref name="id"/> ran: its progress becomes the advance's end; it is queued again, or local when that end is L.</summary>
    /// <exception cref="InvalidOperationException">The request is not tracked or not advancing.</exception>
    public void Advanced(string id)
    {
        var request = Expect(id, LiveRequestState.Advancing, nameof(Advanced));
        request.Progress = request.PlannedEnd;
        if (request.Progress == TotalLayers)
        {
            request.State = LiveRequestState.Local;
            _local++;
        }
        else
        {
            Enqueue(request);
        }
    }

    /// <summary>The planned advance of <paramref name="id"/> failed or was abandoned: it is queued again with its old progress.</summary>
    /// <exception cref="InvalidOperationException">The request is not tracked or not advancing.</exception>
    public void AdvanceAborted(string id) => Enqueue(Expect(id, LiveRequestState.Advancing, nameof(AdvanceAborted)));

    /// <summary>
    /// LiveOld has room: splits the earliest queued request that is blocked (0 &lt; Progress = <paramref name="loadedLayers"/> &lt; L)
    /// at j = Progress, if fewer than <see cref="Limit"/> requests are split; otherwise null.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="loadedLayers"/> is outside [0, L] or below an earlier count.</exception>
    public LiveRequest? Pull(int loadedLayers)
    {
        SeeLoaded(loadedLayers);
        if (_split >= Limit) return null;
        var blocked = FirstBlocked(loadedLayers);
        if (blocked is null) return null;
        _queued.Remove(blocked.Order);
        blocked.State = LiveRequestState.Split;
        blocked.SplitLayer = blocked.Progress;
        _split++;
        return blocked;
    }

    /// <summary>
    /// A split request had the KV of its first <see cref="LiveRequest.SplitLayer"/> layers (every position computed so far) moved
    /// to LiveOld, which runs it whole from now on: it holds nothing here and no longer counts against <see cref="Limit"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The request is not tracked or not split.</exception>
    public void Moved(string id)
    {
        var request = Expect(id, LiveRequestState.Split, nameof(Moved));
        request.State = LiveRequestState.Moved;
        _split--;
    }

    /// <summary>The request <paramref name="id"/> leaves (finished, cancelled or failed), from any state, freeing its split slot; false when it is not tracked.</summary>
    public bool Remove(string id)
    {
        if (!_requests.Remove(id, out var request)) return false;
        switch (request.State)
        {
            case LiveRequestState.Queued: _queued.Remove(request.Order); break;
            case LiveRequestState.Split: _split--; break;
            case LiveRequestState.Local: _local--; break;
            case LiveRequestState.Advancing or LiveRequestState.Moved: break;
        }
        return true;
    }

    /// <summary>
    /// The load signal, once per server iteration. After <see cref="ZigZagOptions.LowerAfter"/> with no request queued
    /// (continuously: any request becoming queued restarts it) the limit drops by one, not below the minimum, and the calm
    /// period restarts; when more requests are split and blocked together than the limit allows, it returns to the initial limit.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="loadedLayers"/> is outside [0, L] or below an earlier count.</exception>
    public void ObserveLoad(int loadedLayers)
    {
        SeeLoaded(loadedLayers);
        var now = _time.GetUtcNow();
        if (_queued.Count > 0)
        {
            _calmSince = null;
            // Blocked requests the limit keeps from being pulled: the load is back, so splitting is allowed freely again.
            if (_split + CountBlocked(loadedLayers) > Limit) Limit = _options.InitialLimit;
            return;
        }
        if (_calmSince is not { } since)
        {
            _calmSince = now;
            return;
        }
        if (now - since >= _options.LowerAfter)
        {
            Limit = Math.Max(_options.MinLimit, Limit - 1);
            _calmSince = now;
        }
    }

    private void Enqueue(LiveRequest request)
    {
        request.State = LiveRequestState.Queued;
        _queued.Add(request.Order, request);
        // Something waits again, so the calm period (if any) is broken even between two load observations.
        _calmSince = null;
    }

    private LiveRequest Expect(string id, LiveRequestState state, string call)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!_requests.TryGetValue(id, out var request))
            throw new InvalidOperationException($"{call}: request '{id}' is not tracked (removed, or never admitted)");
        if (request.State != state)
            throw new InvalidOperationException($"{call}: request '{id}' is {request.State}, expected {state}");
        return request;
    }

    private void SeeLoaded(int loadedLayers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(loadedLayers);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(loadedLayers, TotalLayers);
        if (loadedLayers < _loadedSeen)
        {
            throw new ArgumentOutOfRangeException(nameof(loadedLayers), loadedLayers,
                $"expected loaded layers ≥ {_loadedSeen} (seen before): layers only land");
        }
        _loadedSeen = loadedLayers;
    }

    private bool IsBlocked(LiveRequest request, int loadedLayers) =>
        request.Progress == loadedLayers && request.Progress > 0 && request.Progress < TotalLayers;

    private LiveRequest? FirstBlocked(int loadedLayers)
    {
        foreach (var request in _queued.Values)
        {
            if (IsBlocked(request, loadedLayers)) return request;
        }
        return null;
    }

    private int CountBlocked(int loadedLayers)
    {
        var count = 0;
        foreach (var request in _queued.Values)
        {
            if (IsBlocked(request, loadedLayers)) count++;
        }
        return count;
    }
}
