using BlitzScale.Scaling.Instances;

namespace BlitzScale.Scaling.Routing;

/// <summary>
/// Routes one model's requests: to the instance with the least outstanding tokens among those that take requests
/// (<see cref="InstanceLifecycle.TakesRequests"/>: Serving, LiveOld, LiveNew; never Loading, Draining, Warm, Failed or
/// Inactive) and have a free seat, ties to the lowest index. Outstanding tokens are the estimates of routed requests not yet
/// released, less the tokens already produced for them. Pure and deterministic; not thread-safe (a grain calls it from its turns).
/// </summary>
/// <remarks>
/// <para><b>Late binding.</b> An instance whose seats are known (<see cref="SetSeats"/>) has a free seat while its open
/// requests are fewer than it runs at once and the KV blocks they reserve are fewer than it has; when no instance that takes
/// requests has one, <see cref="Route"/> answers <see cref="RouteResult.Full"/> and the caller keeps the request until a
/// release frees a seat or an instance starts taking requests. Bound to an instance on arrival, a burst's requests waited
/// in the queue of the instance serving then, while instances loaded for the burst took only later arrivals.
/// An instance at its last free block still takes one more request, which waits at the instance: so it has the next one
/// at hand when a seat frees, instead of a round trip through the model grain. Instances whose seats are not known take
/// requests without limit.</para>
/// <para><b>Prefill.</b> An instance whose seats bound its prefill (<see cref="InstanceSeats.PrefillTokens"/>) also needs its
/// unstarted prompts — those of its requests whose first token has not come (<see cref="Started"/>) — to be fewer than
/// that bound, or to be fewer than <see cref="UnstartedAlways"/> requests: one being prefilled and one at hand, whatever
/// their length, so that a prompt longer than the bound never leaves the instance idle while the first token is told.
/// With long prompts an instance starts one step budget of prompt at a time: bound all at once, the 16 requests a new
/// instance took when it began serving waited there up to 1.8 s, in whatever order their calls arrived, while the next
/// instance to serve took none of them.</para>
/// <para><b>Live pairs.</b> A request whose split helps the LiveOld (<see cref="SplitHelps"/>) goes to a LiveNew instance while it
/// has a seat for it, and its LiveOld partner takes none meanwhile; a LiveNew holds twice the unstarted prompts of a serving
/// instance and at most <see cref="LiveNewRequests"/> other requests.</para>
/// </remarks>
public sealed class RequestRouter(ModelInstances instances)
{
    private readonly Dictionary<long, Open> _open = [];
    private readonly Dictionary<int, Totals> _perInstance = [];
    private readonly Dictionary<int, InstanceSeats> _seats = [];
    private long _lastId;

    /// <summary>
    /// Instance <paramref name="instance"/> runs at most what <paramref name="seats"/> says: from now on it takes requests only
    /// while it has a free seat (late binding). Its open requests are counted against the new seats.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A value of <paramref name="seats"/> is below 1.</exception>
    public void SetSeats(int instance, InstanceSeats seats)
    {
        seats.Validate();
        _seats[instance] = seats;
        long blocks = 0;
        foreach (var open in _open.Values.Where(o => o.Instance == instance))
        {
            open.Blocks = seats.BlocksFor(open.Estimate);
            blocks += open.Blocks;
        }
        if (_perInstance.TryGetValue(instance, out var totals)) totals.Blocks = blocks;
    }

    /// <summary>The seats of <paramref name="instance"/>, when known.</summary>
    public InstanceSeats? Seats(int instance) => _seats.TryGetValue(instance, out var seats) ? seats : null;

    /// <summary>
    /// Requests a LiveNew instance with known seats takes at once, unless their split helps its partner (<see cref="SplitHelps"/>):
    /// those it takes up to its running limit, and its LiveOld partner leaves them to it. A split request holds a seat of the
    /// LiveOld for its whole generation at the pair's slower pace, so where a request saves the LiveOld little prefill, more
    /// than a few at once take the LiveOld's seats from its own requests.
    /// </summary>
    public int LiveNewRequests { get; init; } = DefaultLiveNewRequests;

    /// <summary>
    /// Default <see cref="LiveNewRequests"/>: one, for the LiveNew's early first token. Four (the paper's starting limit on
    /// split requests) cost the busy instance seats where it is bound by them: with bench live's default requests, blitz ÷
    /// blitz-fast measured 1.176 and 1.135 with four against 1.044 and 1.061 with one.
    /// </summary>
    public const int DefaultLiveNewRequests = 1;

    /// <summary>
    /// Requests without a first token an instance takes whatever its prefill bound: one being prefilled, one at hand. Its
    /// first token comes only when a prompt is prefilled whole, so with one alone the instance would wait, idle, for the
    /// next while the token reaches the caller, the caller tells the model, and the model's route reaches the next caller.
    /// </summary>
    public const int UnstartedAlways = 2;

    /// <summary>
    /// Whether <paramref name="instance"/> has a free seat: its seats are not known, or its open requests leave one. A LiveNew
    /// instance seats <see cref="LiveNewRequests"/> requests at most, or up to its running limit for requests whose split
    /// helps its partner (<paramref name="splitHelps"/>, <see cref="SplitHelps"/>). One paired with a LiveTail (loads in
    /// complementary orders) seats up to its running limit whatever the request: its splits take no serving instance's steps.
    /// </summary>
    public bool HasSeat(int instance, bool splitHelps = false)
    {
        if (!_seats.TryGetValue(instance, out var seats)) return true;
        var lifecycle = instances.Find(instance);
        bool liveNew = lifecycle?.State == InstanceState.LiveNew;
        bool besideTail = liveNew && lifecycle!.Partner is { } partner && instances.Find(partner)?.State == InstanceState.LiveTail;
        int limit = liveNew && !splitHelps && !besideTail ? Math.Min(seats.MaxRequests, LiveNewRequests) : seats.MaxRequests;
        if (!_perInstance.TryGetValue(instance, out var totals)) return limit > 0;
        // A LiveNew's requests start in two places, its layers and then its partner's, so it holds two instances' prompts.
        // (Four was tried in bench replay: 1.25 of allcache's p99 against 1.124, more requests bound to the pair; not kept.)
        int places = liveNew ? 2 : 1;
        long prefill = seats.PrefillTokens > long.MaxValue / places ? long.MaxValue : seats.PrefillTokens * places;
        return totals.Requests < limit && totals.Blocks < seats.KvBlocks
            && (totals.Unstarted < prefill || totals.UnstartedRequests < UnstartedAlways * places);
    }

    /// <summary>
    /// Whether a request's prompt outweighs what it may generate: the prompt's tokens are more than the rest of its estimate.
    /// Split at layer k, such a request saves a LiveOld layers [0, k) of most of its work. One that generates as much as its
    /// prompt or more saves little, and holds a seat of the LiveOld (its KV for [k, L)) for its whole generation, at the
    /// pair's slower pace: with the default 32/32-token requests of bench live, where the instance is bound by its KV,
    /// sending every request to the LiveNew raised blitz's burst p99 from 2.2–2.4 s to 3.3 s. The router's rule where it knows
    /// the instances' step budget is <see cref="SplitHelps"/>; this one decides where it does not.
    /// </summary>
    public static bool IsPrefillHeavy(long estimatedTokens, long promptTokens) => promptTokens > estimatedTokens - promptTokens;

    /// <summary>
    /// Whether a request split at a LiveNew holding <paramref name="loadedShare"/> of the layers costs its LiveOld less than
    /// serving it whole: the LiveOld's throughput for requests of this shape is bound by its prefill or by its seats, whichever
    /// binds, and a split changes both. A step of the LiveOld runs at most <see cref="InstanceSeats.StepTokens"/> (B) prompt
    /// tokens and decodes one token of each of its S seated requests: a request of P prompt and O generated tokens takes P ÷ B
    /// of a step's prefill and O + P ÷ B of a seat's steps. Split at k = f L, it takes (1 − f) P ÷ B of the prefill but
    /// <see cref="SplitDecodeCost"/> × O + (1 − f) P ÷ B of a seat's steps, each of its tokens crossing the pair. It helps when
    /// max((1 − f) P ÷ B, (c O + (1 − f) P ÷ B) ÷ S) &lt; max(P ÷ B, (O + P ÷ B) ÷ S), and only from f = <see cref="MinSplitShare"/> on.
    /// </summary>
    /// <remarks>
    /// Long prompts with short outputs split well (bench live's code-shaped requests, 1,469 in and 13 out: the LiveOld is bound
    /// by its prefill); where the seats bind, a split only holds a LiveOld seat longer, and the pair serves fewer than the
    /// LiveOld alone: bench replay at <c>--load-share 0.1</c> at 7364950 (439 prompt tokens on average, 24 out), the LiveOld's
    /// own requests fell from 31.6 to 12.7 a second during a pair, and the pair together started 25 a second. Where the seats'
    /// step budget is not known, <see cref="IsPrefillHeavy"/> decides.
    /// </remarks>
    /// <param name="estimatedTokens">The request's prompt and generation.</param>
    /// <param name="promptTokens">The request's prompt.</param>
    /// <param name="seats">The LiveNew's seats (the pair runs the deployment's one batch policy).</param>
    /// <param name="loadedShare">The share of layers the LiveNew holds.</param>
    /// <param name="mix">
    /// The shape of the requests the LiveOld serves together (<see cref="RequestMix"/>), when known. Where their seats bind
    /// it, a split must also not cost the LiveOld more seat time than the request whole: a request whose own shape is bound
    /// by prefill (a long prompt, a few tokens out) still holds a LiveOld seat three times as long split, and that is what
    /// the mix runs short of. Found in bench replay (439 prompt tokens and 24 out on average, prompts up to 512): such
    /// requests split, and during the burst's peak a LiveOld started 14 requests a second against 34 alone.
    /// </param>
    public static bool SplitHelps(long estimatedTokens, long promptTokens, InstanceSeats? seats, double loadedShare, RequestMix? mix = null)
    {
        if (seats is not { StepTokens: > 0 } known) return IsPrefillHeavy(estimatedTokens, promptTokens);
        var whole = RequestCost.Of(known, estimatedTokens, promptTokens);
        if (promptTokens <= 0 || whole.Seated < 1) return false;
        double f = Math.Clamp(loadedShare, 0, 1);
        double splitSeat = (SplitDecodeCost * whole.Generated + (1 - f) * whole.Prefill) / whole.Seated;
        if (f < MinSplitShare || Math.Max((1 - f) * whole.Prefill, splitSeat) >= Math.Max(whole.Prefill, whole.Seat)) return false;
        return mix is not { } shape || !shape.SeatsBind(known) || splitSeat < whole.Seat;
    }

    /// <summary>
    /// The least share of the layers a LiveNew holds before requests go to it split (<see cref="SplitHelps"/>). A request sent
    /// to a LiveNew is bound to the pair: it waits there until the LiveOld, busy with the overload that made the pair, pulls it,
    /// and an instance that starts serving meanwhile cannot take it. A split at a few layers of 32 saves the LiveOld too little
    /// for that: in bench live (code-shaped), the burst's first requests went to a LiveNew loading over the network with 1–3
    /// of 32 layers and waited 0.65–0.89 s for their first token, against 0.69 s at most under blitz-fast, where they waited
    /// at the model and went to the instance loading from the host copy, serving a second later (<see cref="Live.LocalLoads"/>
    /// has the rounds with and without it).
    /// </summary>
    public const double MinSplitShare = 0.25;

    /// <summary>The mix of the requests routed so far (<see cref="RequestMix"/>); null before the first is routed.</summary>
    public RequestMix? Mix { get; private set; }

    /// <summary>
    /// A split request's steps per token on its LiveOld seat against a whole request's: each token waits for a step of the
    /// LiveNew, then one of the LiveOld. Measured 2.2× (bench replay, 24 tokens out) to 3.3× (bench live, 13 out); 3 is used.
    /// </summary>
    public const double SplitDecodeCost = 3;

    // A LiveOld takes no request whose split helps it while its LiveNew partner (seats known) has a seat for it: started there
    // it costs the LiveOld only the layers its partner lacks, sent here all of them. Once the partner is full the LiveOld
    // takes it. (Both taking them by outstanding tokens from half the layers on, where the LiveNew's share of a split is the
    // larger, was tried: 0.781 against blitz-fast in one bench live run, 51 first tokens during the load as without it; and in
    // bench replay on 8 December: 1.110 of allcache's p99 against 1.124, within the rounds' spread. Not kept.)
    private bool LeavesToPartner(InstanceLifecycle candidate, bool splitHelps) =>
        splitHelps && candidate is { State: InstanceState.LiveOld, Partner: { } partner } && _seats.ContainsKey(partner) && HasSeat(partner, splitHelps);

    // Whether the request's split helps (SplitHelps), judged by the seats and layers of a LiveNew among the instances taking
    // requests: both halves of a pair run the deployment's one batch policy. Without a LiveNew, the plain rule.
    private bool SplitHelpsAmong(IReadOnlyList<InstanceLifecycle> taking, long estimatedTokens, long promptTokens, RequestMix mix)
    {
        foreach (var instance in taking)
        {
            if (instance.State == InstanceState.LiveNew && _seats.TryGetValue(instance.Index, out var seats))
                return SplitHelps(estimatedTokens, promptTokens, seats, (double)instance.LoadedLayers / Math.Max(1, instance.TotalLayers), mix);
        }
        return IsPrefillHeavy(estimatedTokens, promptTokens);
    }

    /// <summary>
    /// Routes a request estimated to cost <paramref name="estimatedTokens"/> (prompt and generation), of which
    /// <paramref name="promptTokens"/> are its prompt: they count against its instance's prefill bound until <see cref="Started"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="estimatedTokens"/> or <paramref name="promptTokens"/> is negative.</exception>
    public RouteResult Route(long estimatedTokens, long promptTokens = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(estimatedTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(promptTokens);
        InstanceLifecycle? best = null;
        long bestTokens = 0;
        bool anyTakes = false;
        // TakingRequests is in index order, so a strict < keeps the lowest index among equals.
        var taking = instances.TakingRequests;
        // The mix with this request in it; kept only once it is routed, so a request held and offered again counts once.
        var mix = RequestMix.With(Mix, estimatedTokens, promptTokens);
        bool splitHelps = SplitHelpsAmong(taking, estimatedTokens, promptTokens, mix);
        foreach (var candidate in taking)
        {
            anyTakes = true;
            if (!HasSeat(candidate.Index, splitHelps)) continue;
            if (LeavesToPartner(candidate, splitHelps)) continue;
            long tokens = Outstanding(candidate.Index);
            if (best is null || tokens < bestTokens) (best, bestTokens) = (candidate, tokens);
        }
        if (best is null) return anyTakes ? RouteResult.NoSeat() : RouteResult.Refused(WhyNone());
        Mix = mix;
        var ticket = new RouteTicket(++_lastId, best.Index, estimatedTokens);
        var open = new Open(ticket.Instance, estimatedTokens, estimatedTokens, BlocksOn(ticket.Instance, estimatedTokens), promptTokens);
        _open.Add(ticket.Id, open);
        JoinInstance(open);
        return RouteResult.To(ticket);
    }

    /// <summary>
    /// <paramref name="tokens"/> more were produced for the request: they are no longer owed (never below 0 for the request).
    /// Returns how many it still owes; 0 for a released or unknown ticket.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is negative.</exception>
    public long Consume(RouteTicket ticket, long tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        if (!_open.TryGetValue(ticket.Id, out var open)) return 0;
        long paid = Math.Min(tokens, open.Owed);
        open.Owed -= paid;
        _perInstance[open.Instance].Tokens -= paid;
        return open.Owed;
    }

    /// <summary>
    /// The request of ticket <paramref name="ticketId"/> had its first token: its prompt no longer counts against its
    /// instance's prefill bound. False, changing nothing, for a released or unknown ticket or one already started.
    /// </summary>
    public bool Started(long ticketId)
    {
        if (!_open.TryGetValue(ticketId, out var open) || open.Unstarted == 0) return false;
        _perInstance[open.Instance].Started(open);
        open.Unstarted = 0;
        return true;
    }

    /// <summary>The request ended (finished, failed or cancelled): returns the tokens it still owed. Releasing twice or an unknown ticket returns 0 and changes nothing.</summary>
    public long Release(RouteTicket ticket) => Release(ticket.Id);

    /// <summary>The request of ticket <paramref name="ticketId"/> ended; as <see cref="Release(RouteTicket)"/>, for callers that kept only the id.</summary>
    public long Release(long ticketId)
    {
        if (!_open.Remove(ticketId, out var open)) return 0;
        LeaveInstance(open);
        return open.Owed;
    }

    /// <summary>
    /// The request of ticket <paramref name="ticketId"/> is now served by <paramref name="instance"/> (a busy instance handed
    /// it to its live partner): what it owes counts there from now on. False, changing nothing, for a released or unknown ticket.
    /// </summary>
    public bool Move(long ticketId, int instance)
    {
        if (!_open.TryGetValue(ticketId, out var open)) return false;
        if (open.Instance == instance) return true;
        LeaveInstance(open);
        var moved = new Open(instance, open.Estimate, open.Owed, BlocksOn(instance, open.Estimate), open.Unstarted);
        JoinInstance(moved);
        _open[ticketId] = moved;
        return true;
    }

    /// <summary>Forgets every ticket of an instance (removed, failed or unloaded); returns how many. Their later release is harmless.</summary>
    public int DropInstance(int instance)
    {
        var dropped = _open.Where(o => o.Value.Instance == instance).Select(o => o.Key).ToList();
        foreach (long id in dropped) _open.Remove(id);
        _perInstance.Remove(instance);
        return dropped.Count;
    }

    /// <summary>Why no instance takes requests: the count in each state and the Failed ones' reasons (what <see cref="Route"/> refuses with).</summary>
    public NoInstance WhyNone()
    {
        var failures = instances.All.Where(i => i.State == InstanceState.Failed).Select(i => $"{i.Shard}: {i.FailureReason}").ToList();
        return new NoInstance(instances.CountByState(), failures);
    }

    /// <summary>Tokens owed by the requests routed to <paramref name="instance"/> and not released.</summary>
    public long Outstanding(int instance) => _perInstance.GetValueOrDefault(instance)?.Tokens ?? 0;

    /// <summary>Requests routed to <paramref name="instance"/> and not released.</summary>
    public int OpenRequests(int instance) => _perInstance.GetValueOrDefault(instance)?.Requests ?? 0;

    /// <summary>The Draining instances with no open request, by index: ready for <see cref="ModelInstances.Drained"/>.</summary>
    public IReadOnlyList<int> Drained() =>
        [.. instances.All.Where(i => i.State == InstanceState.Draining && OpenRequests(i.Index) == 0).Select(i => i.Index)];

    /// <summary>Prompt tokens of the requests routed to <paramref name="instance"/> whose first token has not come.</summary>
    public long UnstartedPromptTokens(int instance) => _perInstance.GetValueOrDefault(instance)?.Unstarted ?? 0;

    /// <summary>KV blocks reserved by the requests routed to <paramref name="instance"/> and not released (0 while its seats are not known).</summary>
    public long ReservedBlocks(int instance) => _perInstance.GetValueOrDefault(instance)?.Blocks ?? 0;

    private long BlocksOn(int instance, long estimate) => _seats.TryGetValue(instance, out var seats) ? seats.BlocksFor(estimate) : 0;

    // The request counts on its instance.
    private void JoinInstance(Open open)
    {
        if (!_perInstance.TryGetValue(open.Instance, out var totals)) _perInstance[open.Instance] = totals = new Totals();
        totals.Count(open, +1);
    }

    // The request leaves its instance's totals; an instance with no open request has none.
    private void LeaveInstance(Open open)
    {
        var totals = _perInstance[open.Instance];
        totals.Count(open, -1);
        if (totals.Requests == 0) _perInstance.Remove(open.Instance);
    }

    // One instance's totals over its open requests: what they owe, how many, their blocks, and the prompts (and requests)
    // not yet started.
    private sealed class Totals
    {
        public long Tokens { get; set; }
        public int Requests { get; private set; }
        public long Blocks { get; set; }
        public long Unstarted { get; private set; }
        public int UnstartedRequests { get; private set; }

        // A request joins (+1) or leaves (-1) the totals, with what it counts now.
        public void Count(Open open, int sign)
        {
            Tokens += sign * open.Owed;
            Requests += sign;
            Blocks += sign * open.Blocks;
            Unstarted += sign * open.Unstarted;
            if (open.Unstarted > 0) UnstartedRequests += sign;
        }

        // The request, still counted here, had its first token: its prompt leaves the unstarted totals.
        public void Started(Open open)
        {
            Unstarted -= open.Unstarted;
            UnstartedRequests--;
        }
    }

    private sealed class Open(int instance, long estimate, long owed, long blocks, long unstarted)
    {
        public int Instance { get; } = instance;
        public long Estimate { get; } = estimate;
        public long Owed { get; set; } = owed;
        public long Blocks { get; set; } = blocks;
        // Prompt tokens until its first token comes; 0 after.
        public long Unstarted { get; set; } = unstarted;
    }
}
