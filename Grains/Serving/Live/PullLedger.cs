namespace BlitzScale.Grains.Serving.Live;

/// <summary>
/// Where a LiveOld's pulls spend their time, from an offer standing to the pulled request's first split step ending: held for
/// room (an offer stood while a seat or an earlier pull's blocks were lacking), the pull's call to the partner, the wait for the
/// request's first step (its hidden states) to arrive, its wait for a step here, and that step. Also how long the serving loop
/// sat idle while paired. Its <see cref="Summary"/> goes to the silo's log when the pair ends.
/// </summary>
/// <remarks>
/// Until 7 December the logs said how long a LiveNew's requests waited to be pulled (<see cref="LiveLedger"/>) but not what
/// the LiveOld did meanwhile: in bench live over the network the busy instance, told to take none of its own requests while
/// its partner had room, sat idle a quarter of the load while requests waited at the partner. Not thread-safe: the server
/// calls it under its lock.
/// </remarks>
internal sealed class PullLedger(TimeProvider time)
{
    private readonly Dictionary<string, Row> _rows = new(StringComparer.Ordinal);
    private readonly List<double> _held = [], _calls = [], _toArrive = [], _toStep = [], _steps = [];
    private DateTimeOffset? _heldSince, _pullStarted, _idleSince, _pairedSince;
    private TimeSpan _idle, _paired;
    private int _emptyPulls;

    /// <summary>The pair formed: the counts start again.</summary>
    public void Paired()
    {
        _rows.Clear();
        foreach (var list in new[] { _held, _calls, _toArrive, _toStep, _steps }) list.Clear();
        _heldSince = _pullStarted = _idleSince = null;
        _idle = _paired = TimeSpan.Zero;
        _emptyPulls = 0;
        _pairedSince = time.GetUtcNow();
    }

    /// <summary>The pair ended: idle and paired time stop counting.</summary>
    public void Unpaired()
    {
        var now = time.GetUtcNow();
        Busy(now);
        if (_pairedSince is { } since) _paired += now - since;
        _pairedSince = null;
        _heldSince = null;
    }

    /// <summary>An offer stands but this instance has no room for another split request: the wait for room starts, if not already.</summary>
    public void Held() => _heldSince ??= time.GetUtcNow();

    /// <summary>A pull starts: any wait for room ends.</summary>
    public void PullStarted()
    {
        var now = time.GetUtcNow();
        if (_heldSince is { } since) _held.Add((now - since).TotalMilliseconds);
        _heldSince = null;
        _pullStarted = now;
    }

    /// <summary>The pull answered: request <paramref name="id"/>, or nothing (null: none was blocked any more, or the live limit held).</summary>
    public void PullReturned(string? id)
    {
        var now = time.GetUtcNow();
        if (_pullStarted is { } started) _calls.Add((now - started).TotalMilliseconds);
        _pullStarted = null;
        if (id is null) _emptyPulls++;
        else _rows.TryAdd(id, new Row(now));
    }

    /// <summary>The first step of pulled request <paramref name="id"/> arrived (its hidden states are here).</summary>
    public void StepArrived(string id)
    {
        if (!_rows.TryGetValue(id, out var row) || row.ArrivedAt is not null) return;
        row.ArrivedAt = time.GetUtcNow();
        _toArrive.Add((row.ArrivedAt.Value - row.PulledAt).TotalMilliseconds);
    }

    /// <summary>The first step of pulled request <paramref name="id"/> starts on the device.</summary>
    public void StepStarted(string id)
    {
        if (!_rows.TryGetValue(id, out var row) || row.ArrivedAt is not { } arrived || row.StartedAt is not null) return;
        row.StartedAt = time.GetUtcNow();
        _toStep.Add((row.StartedAt.Value - arrived).TotalMilliseconds);
    }

    /// <summary>The first step of pulled request <paramref name="id"/> ended.</summary>
    public void StepEnded(string id)
    {
        if (!_rows.TryGetValue(id, out var row) || row.StartedAt is not { } started || row.Ended) return;
        row.Ended = true;
        _steps.Add((time.GetUtcNow() - started).TotalMilliseconds);
    }

    /// <summary>The serving loop found nothing to run and waits; counted only while paired.</summary>
    public void Idle()
    {
        if (_pairedSince is not null) _idleSince ??= time.GetUtcNow();
    }

    /// <summary>The serving loop has a step to run: an idle wait, if any, ends.</summary>
    /// <remarks>Called before every step: the clock is read only when a wait is open.</remarks>
    public void Busy()
    {
        if (_idleSince is not null) Busy(time.GetUtcNow());
    }

    private void Busy(DateTimeOffset now)
    {
        if (_idleSince is { } since) _idle += now - since;
        _idleSince = null;
    }

    /// <summary>The pulls so far, in counts and mean waits.</summary>
    public PullLedgerSummary Summary()
    {
        var paired = _paired + (_pairedSince is { } since ? time.GetUtcNow() - since : TimeSpan.Zero);
        var idle = _idle + (_idleSince is { } idleSince ? time.GetUtcNow() - idleSince : TimeSpan.Zero);
        return new PullLedgerSummary(_rows.Count, _emptyPulls, LiveWait.Of(_held), LiveWait.Of(_calls), LiveWait.Of(_toArrive), LiveWait.Of(_toStep),
            LiveWait.Of(_steps), idle.TotalSeconds, paired.TotalSeconds);
    }

    private sealed class Row(DateTimeOffset pulledAt)
    {
        public DateTimeOffset PulledAt { get; } = pulledAt;
        public DateTimeOffset? ArrivedAt { get; set; }
        public DateTimeOffset? StartedAt { get; set; }
        public bool Ended { get; set; }
    }
}

/// <summary>A LiveOld's pulls (<see cref="PullLedger"/>): how many, and the mean and longest milliseconds of each phase.</summary>
/// <param name="Pulled">Pulls that brought a request.</param>
/// <param name="Empty">Pulls that brought none.</param>
/// <param name="HeldForRoom">An offer standing while this instance had no room (a seat, or an earlier pull's blocks).</param>
/// <param name="PullCall">The pull's call to the partner.</param>
/// <param name="PullToArrival">From the pull's answer to the request's first step (its hidden states) arriving here.</param>
/// <param name="ArrivalToStep">From the first step's arrival to the step here that runs it.</param>
/// <param name="FirstStep">That step, on the device.</param>
/// <param name="IdleSeconds">Seconds the serving loop had nothing to run while paired.</param>
/// <param name="PairedSeconds">Seconds paired.</param>
internal sealed record PullLedgerSummary(int Pulled, int Empty, LiveWait? HeldForRoom, LiveWait? PullCall, LiveWait? PullToArrival,
    LiveWait? ArrivalToStep, LiveWait? FirstStep, double IdleSeconds, double PairedSeconds)
{
    /// <summary>One line for the log.</summary>
    public string Describe() =>
        $"{Pulled} pulled, {Empty} pulls found none; held for room {LiveWait.Describe(HeldForRoom)}, pull call {LiveWait.Describe(PullCall)}, " +
        $"pull to first step arriving {LiveWait.Describe(PullToArrival)}, arrival to its step {LiveWait.Describe(ArrivalToStep)}, " +
        $"the step {LiveWait.Describe(FirstStep)}; idle {IdleSeconds:F2} s of {PairedSeconds:F2} s paired";
}
