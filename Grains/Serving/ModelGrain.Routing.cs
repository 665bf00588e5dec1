using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Scaling.Instances;
using InstanceState = BlitzScale.Scaling.Instances.InstanceState;
using BlitzScale.Scaling.Routing;
using BlitzScale.Scaling.Serving;
using Microsoft.Extensions.Logging;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// The model grain's side of routing: a request gets an instance with a free seat at once, or waits here, first come first
/// served (<see cref="RouteQueue"/>), until a release frees a seat or an instance starts taking requests — late binding —
/// or, with no instance taking requests, while one is on its way (loading, or brought by the autoscaler). A wait is bounded
/// by <see cref="RouteHold.Limit"/> (the route call's response timeout outlasts it) and by the deployment's <see cref="ModelDeployment.MaxQueuedRequests"/>.
/// </summary>
internal sealed partial class ModelGrain
{
    private readonly RouteQueue _waiting = new();
    // A waiting request's wake-up: set when it was routed (its ticket in _routed) or when it must look again (no instance takes requests).
    private readonly Dictionary<long, TaskCompletionSource> _wakeUps = [];
    private readonly Dictionary<long, RouteTicket> _routed = [];
    // When each instance was last given a request: a ticket that young may not have reached its shard yet.
    private readonly Dictionary<int, long> _lastRoutedTo = [];
    private long _lastSeatCheck;
    private bool _checkingSeats;

    // KV blocks the waiting requests will reserve once routed: the autoscaler counts them as load (they are no shard's yet).
    private long HeldKvBlocks => (_waiting.EstimatedTokens + BatchPolicy.DefaultBlockSize - 1) / BatchPolicy.DefaultBlockSize;

    private async Task<RouteDecision> Route(long estimatedTokens, long promptTokens, bool ahead)
    {
        var deployment = _deployment ?? throw NotDeployed();
        if (estimatedTokens < 0) throw new ArgumentException($"estimated tokens: expected ≥ 0, found {estimatedTokens}");
        if (promptTokens < 0 || promptTokens > estimatedTokens)
            throw new ArgumentException($"prompt tokens: expected 0 to the estimated {estimatedTokens}, found {promptTokens}");
        if (_waiting.Count == 0 || ahead)
        {
            var result = _router.Route(estimatedTokens, promptTokens);
            if (result.Ticket is { } ticket) return Decision(ticket);
            if (result.NoInstance is { } none && !OnItsWay && !Autoscaled)
                throw new InvalidOperationException($"model \"{Model}\": {none.Reason}");
        }
        // A request joins the wait only while the queue has room: a full one is refused, never grown.
        if (_waiting.Count >= deployment.MaxQueuedRequests)
            throw new AdmissionQueueFullException(Model, deployment.MaxQueuedRequests);
        long started = _time.GetTimestamp();
        long id = _waiting.Enqueue(estimatedTokens, promptTokens, ahead);
        _wakeUps[id] = NewSignal();
        try
        {
            while (true)
            {
                Dispatch();
                if (_routed.Remove(id, out var ticket))
                {
                    if (_instances.Find(ticket.Instance) is { TakesRequests: true }) return Decision(ticket);
                    // Its instance went (failed, dropped, stopped) between the dispatch and this turn: it waits again, at the head.
                    _router.Release(ticket);
                    _wakeUps.Remove(id);
                    id = _waiting.Enqueue(estimatedTokens, promptTokens, ahead: true);
                    _wakeUps[id] = NewSignal();
                    continue;
                }
                if (!_instances.TakingRequests.Any())
                {
                    string reason = _router.WhyNone().Reason;
                    // Hold it while an instance is on its way to taking requests; fail when none is, unless the autoscaler can bring one.
                    if (!OnItsWay && !Autoscaled) throw new InvalidOperationException($"model \"{Model}\": {reason}");
                    if (!OnItsWay && await HoldForAutoscaler(reason)) continue;
                }
                var waited = _time.GetElapsedTime(started);
                if (waited >= RouteHold.Limit)
                {
                    throw new InvalidOperationException(_instances.TakingRequests.Any()
                        ? $"model \"{Model}\": waited {waited.TotalSeconds:F0} s for a free seat on its {_instances.TakingRequests.Count()} instance(s); {_waiting.Count} request(s) wait"
                        : $"model \"{Model}\": waited {waited.TotalSeconds:F0} s for an instance to take the request");
                }
                var wakeUp = _wakeUps[id];
                if (wakeUp.Task.IsCompleted) _wakeUps[id] = wakeUp = NewSignal();
                var wait = RouteHold.Limit - waited;
                // The head of the queue looks for seats held by tickets nobody will hand back, once a check interval.
                bool checksSeats = _waiting.Head == id && _instances.TakingRequests.Any();
                if (checksSeats && wait > StrayTicketCheck) wait = StrayTicketCheck;
                await wakeUp.Task.WaitAsync(wait, _time)
                    .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
                if (checksSeats && !wakeUp.Task.IsCompleted) await ReleaseStraySeats();
            }
        }
        finally
        {
            _wakeUps.Remove(id);
            _waiting.Withdraw(id);
            // Routed while it was failing (a wait that ran out as a seat freed): the seat goes back.
            if (_routed.Remove(id, out var unused))
            {
                _router.Release(unused);
                Dispatch();
            }
        }
    }

    // An instance is loading (Loading or LiveNew): held requests wait for it; the host copy keeper changes nothing meanwhile.
    private bool OnItsWay => _instances.All.Any(i => i.IsLoading);

    private RouteDecision Decision(RouteTicket ticket)
    {
        var instance = _instances.Find(ticket.Instance)!;
        _lastRoutedTo[instance.Index] = _time.GetTimestamp();
        return new RouteDecision(ticket.Id, instance.Shard, instance.Host, ReportsStart: _router.Seats(instance.Index) is { BoundsPrefill: true });
    }

    /// <summary>
    /// Routes the waiting requests that have seats now, in order, and wakes them; when no instance takes requests, wakes every
    /// waiting one to look again (one may be due to fail). Called on every release and change of state.
    /// </summary>
    private void Dispatch()
    {
        if (_waiting.Count == 0) return;
        foreach (var (id, ticket) in _waiting.Dispatch(_router))
        {
            _routed[id] = ticket;
            if (_wakeUps.TryGetValue(id, out var wakeUp)) wakeUp.TrySetResult();
        }
        if (_waiting.Count > 0 && !_instances.TakingRequests.Any())
        {
            foreach (var wakeUp in _wakeUps.Values) wakeUp.TrySetResult();
        }
    }

    /// <summary>
    /// Requests wait for a seat while an instance that takes requests has none, yet its shard has nothing waiting or running
    /// and no caller reading a stream, and has been given no request for <see cref="StrayTicketGrace"/>: the router's tickets
    /// there will never be handed back (a client that died right after its route), and under late binding they would keep
    /// those seats for good. They are dropped, as a drain drops them (<see cref="ReleaseStrayTickets"/>), and the seats go to
    /// the waiting requests. Runs at most once per <see cref="StrayTicketCheck"/>.
    /// </summary>
    private async Task ReleaseStraySeats()
    {
        if (_checkingSeats || _time.GetElapsedTime(_lastSeatCheck) < StrayTicketCheck) return;
        _checkingSeats = true;
        _lastSeatCheck = _time.GetTimestamp();
        try
        {
            var full = _instances.TakingRequests.Where(i => !_router.HasSeat(i.Index) && Quiet(i.Index)).ToList();
            var reports = await Task.WhenAll(full.Select(StatusOrNull));
            for (int n = 0; n < full.Count; n++)
            {
                var (instance, report) = (full[n], reports[n]);
                if (report is null || !HoldsNoRequest(report)) continue;
                if (_instances.Find(instance.Index) is not { TakesRequests: true } still || still.Shard != instance.Shard || !Quiet(instance.Index)) continue;
                LogStraySeats(_logger, instance.Shard, _router.OpenRequests(instance.Index));
                _router.DropInstance(instance.Index);
            }
            Dispatch();
        }
        finally
        {
            _checkingSeats = false;
        }
    }

    private bool Quiet(int index) => !_lastRoutedTo.TryGetValue(index, out long last) || _time.GetElapsedTime(last) >= StrayTicketGrace;

    /// <summary>
    /// The instance runs at most what its shard reported (its KV blocks; the running limit its batch budget gives): from
    /// now on it takes requests only while it has a seat. Nothing changes when the deployment turned late binding off or
    /// the report has no KV blocks (the shard did not reserve its memory yet).
    /// </summary>
    private void LearnSeats(InstanceLifecycle instance, InstanceStatus report)
    {
        if (_deployment is not { LateBinding: true } deployment || report.KvBlocksTotal < 1) return;
        var policy = BatchPolicy.ForBudget(deployment.MaxBatchTokens);
        var seats = InstanceSeats.ForBudget(report.KvBlocksTotal, policy.BlockSize, policy.MaxRunningSequences, policy.MaxBatchTokens);
        if (_router.Seats(instance.Index) == seats) return;
        _router.SetSeats(instance.Index, seats);
        Dispatch();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {Shard} has no free seat by the router's count of {Requests} open request(s), yet nothing waiting, running or streaming: dropped (their callers never used them)")]
    private static partial void LogStraySeats(ILogger logger, string shard, int requests);
}
