using BlitzScale.Scaling.Instances;

namespace BlitzScale.Scaling.Routing;

/// <summary>
/// Routes one model's requests: to the instance with the least outstanding tokens among those that take requests
/// (<see cref="InstanceLifecycle.TakesRequests"/>: Serving, LiveOld, LiveNew; never Loading, Draining, Warm, Failed or
/// Inactive), ties to the lowest index. Outstanding tokens are the estimates of routed requests not yet released, less
/// the tokens already produced for them. Pure and deterministic; not thread-safe (a grain calls it from its turns).
/// </summary>
public sealed class RequestRouter(ModelInstances instances)
{
    private readonly Dictionary<long, Open> _open = [];
    private readonly Dictionary<int, (long Tokens, int Requests)> _perInstance = [];
    private long _lastId;

    /// <summary>Routes a request estimated to cost <paramref name="estimatedTokens"/> (prompt and generation).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="estimatedTokens"/> is negative.</exception>
    public RouteResult Route(long estimatedTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(estimatedTokens);
        InstanceLifecycle? best = null;
        long bestTokens = 0;
        // TakingRequests is in index order, so a strict < keeps the lowest index among equals.
        foreach (var candidate in instances.TakingRequests)
        {
            long tokens = Outstanding(candidate.Index);
            if (best is null || tokens < bestTokens) (best, bestTokens) = (candidate, tokens);
        }
        if (best is null)
        {
            var failures = instances.All.Where(i => i.State == InstanceState.Failed).Select(i => $"{i.Shard}: {i.FailureReason}").ToList();
            return RouteResult.Refused(new NoInstance(instances.CountByState(), failures));
        }
        var ticket = new RouteTicket(++_lastId, best.Index, estimatedTokens);
        _open.Add(ticket.Id, new Open(ticket.Instance, estimatedTokens));
        JoinInstance(ticket.Instance, estimatedTokens);
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
        var (owed, requests) = _perInstance[open.Instance];
        _perInstance[open.Instance] = (owed - paid, requests);
        return open.Owed;
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
        JoinInstance(instance, open.Owed);
        _open[ticketId] = new Open(instance, open.Owed);
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

    /// <summary>Tokens owed by the requests routed to <paramref name="instance"/> and not released.</summary>
    public long Outstanding(int instance) => _perInstance.GetValueOrDefault(instance).Tokens;

    /// <summary>Requests routed to <paramref name="instance"/> and not released.</summary>
    public int OpenRequests(int instance) => _perInstance.GetValueOrDefault(instance).Requests;

    /// <summary>The Draining instances with no open request, by index: ready for <see cref="ModelInstances.Drained"/>.</summary>
    public IReadOnlyList<int> Drained() =>
        [.. instances.All.Where(i => i.State == InstanceState.Draining && OpenRequests(i.Index) == 0).Select(i => i.Index)];

    // A request owing these tokens counts on the instance.
    private void JoinInstance(int instance, long owed)
    {
        var (total, requests) = _perInstance.GetValueOrDefault(instance);
        _perInstance[instance] = (total + owed, requests + 1);
    }

    // The request's tokens and count leave its instance's totals.
    private void LeaveInstance(Open open)
    {
        var (owed, requests) = _perInstance[open.Instance];
        if (requests == 1) _perInstance.Remove(open.Instance);
        else _perInstance[open.Instance] = (owed - open.Owed, requests - 1);
    }

    private sealed class Open(int instance, long owed)
    {
        public int Instance { get; } = instance;
        public long Owed { get; set; } = owed;
    }
}
