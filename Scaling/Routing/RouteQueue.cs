namespace BlitzScale.Scaling.Routing;

/// <summary>
/// The requests of one model waiting for a seat (late binding, <see cref="RequestRouter"/>), first come first served: a
/// request waits here, not in the queue of the instance serving when it arrived, and goes to whichever instance frees a seat
/// or starts taking requests first. A request resumed after its instance was lost goes ahead of the rest (it has waited
/// longest). Pure and deterministic; not thread-safe (a grain calls it from its turns).
/// </summary>
public sealed class RouteQueue
{
    private readonly LinkedList<Waiting> _waiting = [];
    private readonly Dictionary<long, LinkedListNode<Waiting>> _byId = [];
    private long _lastId;

    /// <summary>Requests waiting.</summary>
    public int Count => _waiting.Count;

    /// <summary>The id of the request at the head, or null when none waits.</summary>
    public long? Head => _waiting.First?.Value.Id;

    /// <summary>Tokens (prompt and generation) the waiting requests are estimated at.</summary>
    public long EstimatedTokens { get; private set; }

    /// <summary>Prompt tokens of the waiting requests: prefill no instance has been given yet.</summary>
    public long PromptTokens { get; private set; }

    /// <summary>
    /// A request estimated at <paramref name="estimatedTokens"/> (prompt and generation), <paramref name="promptTokens"/> of
    /// them its prompt, waits; at the head when <paramref name="ahead"/>. Returns its id.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="estimatedTokens"/> or <paramref name="promptTokens"/> is negative.</exception>
    public long Enqueue(long estimatedTokens, long promptTokens = 0, bool ahead = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(estimatedTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(promptTokens);
        var waiting = new Waiting(++_lastId, estimatedTokens, promptTokens);
        _byId[waiting.Id] = ahead ? _waiting.AddFirst(waiting) : _waiting.AddLast(waiting);
        EstimatedTokens += estimatedTokens;
        PromptTokens += promptTokens;
        return waiting.Id;
    }

    /// <summary>The request <paramref name="id"/> stops waiting (its caller gave up); false when it is not waiting.</summary>
    public bool Withdraw(long id)
    {
        if (!_byId.Remove(id, out var node)) return false;
        _waiting.Remove(node);
        EstimatedTokens -= node.Value.EstimatedTokens;
        PromptTokens -= node.Value.PromptTokens;
        return true;
    }

    /// <summary>
    /// Routes waiting requests in order while <paramref name="router"/> has seats for them, and returns each one routed
    /// with its ticket. Stops at the first that cannot be routed: later ones never pass it (a small request does not
    /// overtake a large one that waits for more blocks).
    /// </summary>
    public IReadOnlyList<(long Id, RouteTicket Ticket)> Dispatch(RequestRouter router)
    {
        ArgumentNullException.ThrowIfNull(router);
        List<(long, RouteTicket)>? routed = null;
        while (_waiting.First is { } head)
        {
            var result = router.Route(head.Value.EstimatedTokens, head.Value.PromptTokens);
            if (result.Ticket is not { } ticket) break;
            Withdraw(head.Value.Id);
            (routed ??= []).Add((head.Value.Id, ticket));
        }
        return routed ?? (IReadOnlyList<(long, RouteTicket)>)[];
    }

    private sealed record Waiting(long Id, long EstimatedTokens, long PromptTokens);
}
