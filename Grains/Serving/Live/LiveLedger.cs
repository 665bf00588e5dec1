namespace BlitzScale.Grains.Serving.Live;

/// <summary>
/// What a LiveNew instance did with the requests it took while its layers landed: for each, when it arrived, when its
/// LiveOld partner pulled it (and at which layer), and when its first token came. Its <see cref="Summary"/> goes to the silo's
/// log once the live server's last request has ended, so a run's logs say how long a pair's requests waited and for what.
/// </summary>
/// <remarks>
/// Until 7 December only the pair's split steps were logged, not its requests: in bench replay the longest waits were
/// requests at a LiveNew served about when its load ended, and the logs could not tell whether they had waited to be pulled,
/// for KV blocks on the partner, or for the partner's steps. Not thread-safe: the live server calls it under its lock.
/// </remarks>
internal sealed class LiveLedger(TimeProvider time)
{
    private readonly Dictionary<string, Row> _rows = new(StringComparer.Ordinal);
    private int _waiting;
    private int _mostWaiting;

    /// <summary>Request <paramref name="id"/> came to the instance; a request already recorded is left as it is.</summary>
    public void Arrived(string id)
    {
        if (!_rows.TryAdd(id, new Row(time.GetUtcNow()))) return;
        _waiting++;
        _mostWaiting = Math.Max(_mostWaiting, _waiting);
    }

    /// <summary>
    /// Request <paramref name="id"/> ran the layers landed so far and waits for more, or to be pulled. Only the first time counts:
    /// a request waiting to be pulled runs each layer that lands meanwhile, and its wait for the partner goes on.
    /// </summary>
    public void RanLanded(string id)
    {
        if (!_rows.TryGetValue(id, out var row) || row.PulledAt is not null) return;
        row.RanLandedAt ??= time.GetUtcNow();
    }

    /// <summary>The partner pulled request <paramref name="id"/>: it is split at <paramref name="layer"/> from now on.</summary>
    public void Pulled(string id, int layer)
    {
        if (!_rows.TryGetValue(id, out var row) || row.PulledAt is not null) return;
        row.PulledAt = time.GetUtcNow();
        row.Layer = layer;
    }

    /// <summary>Request <paramref name="id"/> had its first token.</summary>
    public void FirstToken(string id)
    {
        if (!_rows.TryGetValue(id, out var row) || row.FirstTokenAt is not null || row.Ended) return;
        row.FirstTokenAt = time.GetUtcNow();
        _waiting--;
    }

    /// <summary>Split request <paramref name="id"/>'s keys and values moved to the partner, which runs it whole from now on.</summary>
    public void Moved(string id)
    {
        if (!_rows.TryGetValue(id, out var row) || row.MovedAt is not null) return;
        row.MovedAt = time.GetUtcNow();
    }

    /// <summary>Request <paramref name="id"/> left (finished, cancelled or failed).</summary>
    public void Ended(string id)
    {
        if (!_rows.TryGetValue(id, out var row) || row.Ended) return;
        row.Ended = true;
        if (row.FirstTokenAt is null) _waiting--;
    }

    /// <summary>The requests so far, in counts and waits.</summary>
    public LiveLedgerSummary Summary()
    {
        var rows = _rows.Values;
        var split = rows.Where(r => r.PulledAt is not null).ToList();
        var toPull = split.Select(r => (r.PulledAt!.Value - r.ArrivedAt).TotalMilliseconds).ToList();
        var ran = split.Where(r => r.RanLandedAt is not null).ToList();
        var toRan = ran.Select(r => (r.RanLandedAt!.Value - r.ArrivedAt).TotalMilliseconds).ToList();
        var ranToPull = ran.Select(r => (r.PulledAt!.Value - r.RanLandedAt!.Value).TotalMilliseconds).ToList();
        var pullToFirst = split.Where(r => r.FirstTokenAt is not null).Select(r => (r.FirstTokenAt!.Value - r.PulledAt!.Value).TotalMilliseconds).ToList();
        var toFirst = rows.Where(r => r.FirstTokenAt is not null).Select(r => (r.FirstTokenAt!.Value - r.ArrivedAt).TotalMilliseconds).ToList();
        var toMoved = rows.Where(r => r.MovedAt is not null && r.FirstTokenAt is not null).Select(r => (r.MovedAt!.Value - r.FirstTokenAt!.Value).TotalMilliseconds).ToList();
        return new LiveLedgerSummary(
            Requests: _rows.Count,
            Split: split.Count,
            Whole: rows.Count(r => r.PulledAt is null && r.FirstTokenAt is not null),
            WithoutFirstToken: rows.Count(r => r.FirstTokenAt is null),
            SplitLayers: split.Count == 0 ? null : (split.Min(r => r.Layer), split.Max(r => r.Layer)),
            ArrivalToPull: LiveWait.Of(toPull),
            PullToFirstToken: LiveWait.Of(pullToFirst),
            ArrivalToFirstToken: LiveWait.Of(toFirst),
            MostWaiting: _mostWaiting,
            Moved: rows.Count(r => r.MovedAt is not null),
            FirstTokenToMoved: LiveWait.Of(toMoved),
            ArrivalToLanded: LiveWait.Of(toRan),
            LandedToPull: LiveWait.Of(ranToPull));
    }

    private sealed class Row(DateTimeOffset arrivedAt)
    {
        public DateTimeOffset ArrivedAt { get; } = arrivedAt;
        public DateTimeOffset? PulledAt { get; set; }
        public int Layer { get; set; }
        public DateTimeOffset? RanLandedAt { get; set; }
        public DateTimeOffset? FirstTokenAt { get; set; }
        public DateTimeOffset? MovedAt { get; set; }
        public bool Ended { get; set; }
    }
}

/// <summary>A LiveNew's requests (<see cref="LiveLedger"/>): how many, how they were served, and how long they waited.</summary>
/// <param name="Requests">Requests it took.</param>
/// <param name="Split">Pulled by the partner and split.</param>
/// <param name="Whole">Served here alone (their prompt reached the last layer here, once every layer had landed).</param>
/// <param name="WithoutFirstToken">Ended, or still here, with no first token.</param>
/// <param name="SplitLayers">The lowest and highest layer a request was split at; null when none was.</param>
/// <param name="ArrivalToPull">From arrival to the partner's pull, over the split requests.</param>
/// <param name="PullToFirstToken">From the pull to the first token, over the split requests that had one.</param>
/// <param name="ArrivalToFirstToken">From arrival to the first token, over every request that had one.</param>
/// <param name="MostWaiting">The most requests here at once without their first token.</param>
/// <param name="Moved">Split requests whose keys and values moved to the partner (after their prompt or a later step), decoded there whole from then on.</param>
/// <param name="FirstTokenToMoved">From the first token to the move's end (reading, sending and writing the keys and values), over the moved requests.</param>
/// <param name="ArrivalToLanded">From arrival to the end of the step that first ran it through the layers landed then (the split requests): its wait and its head's compute here.</param>
/// <param name="LandedToPull">From then to the partner's pull (the split requests): its wait for the partner, running layers that landed meanwhile.</param>
internal sealed record LiveLedgerSummary(int Requests, int Split, int Whole, int WithoutFirstToken, (int Lowest, int Highest)? SplitLayers,
    LiveWait? ArrivalToPull, LiveWait? PullToFirstToken, LiveWait? ArrivalToFirstToken, int MostWaiting, int Moved, LiveWait? FirstTokenToMoved,
    LiveWait? ArrivalToLanded = null, LiveWait? LandedToPull = null)
{
    /// <summary>One line for the log.</summary>
    public string Describe()
    {
        if (Requests == 0) return "no requests";
        string layers = SplitLayers is { } range ? range.Lowest == range.Highest ? $" (at layer {range.Lowest})" : $" (at layers {range.Lowest}–{range.Highest})" : "";
        string landed = ArrivalToLanded is null ? "" :
            $" (to running the layers landed then {LiveWait.Describe(ArrivalToLanded)}, then to the pull {LiveWait.Describe(LandedToPull)})";
        string moved = Moved > 0 ? $" ({Moved} moved to the partner, first token to moved {LiveWait.Describe(FirstTokenToMoved)})" : "";
        return $"{Requests} requests: {Split} split{layers}{moved}, {Whole} served here alone, {WithoutFirstToken} without a first token; " +
            $"arrival to pull {LiveWait.Describe(ArrivalToPull)}{landed}, pull to first token {LiveWait.Describe(PullToFirstToken)}, " +
            $"arrival to first token {LiveWait.Describe(ArrivalToFirstToken)}; at most {MostWaiting} waiting for a first token at once";
    }
}

/// <summary>Milliseconds waited by several requests: their mean and the longest.</summary>
internal readonly record struct LiveWait(double MeanMilliseconds, double MaxMilliseconds)
{
    /// <summary>The waits' mean and longest; null when there are none.</summary>
    public static LiveWait? Of(IReadOnlyCollection<double> milliseconds) =>
        milliseconds.Count == 0 ? null : new LiveWait(milliseconds.Average(), milliseconds.Max());

    /// <summary>"mean N ms (longest M)", or "none".</summary>
    public static string Describe(LiveWait? wait) =>
        wait is { } w ? $"mean {w.MeanMilliseconds:F0} ms (longest {w.MaxMilliseconds:F0})" : "none";
}
