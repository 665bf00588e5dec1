namespace BlitzScale.Scaling.Live;

/// <summary>How many of a LiveOld instance's waiting requests its LiveNew partner takes over.</summary>
public static class LiveHandover
{
    /// <summary>
    /// The waiting requests to hand over now. LiveOld keeps as many waiting requests as it runs (one when it runs none): its
    /// running requests free their seats and KV blocks as they end, and those take them. Every request behind them would
    /// wait at least one whole request's lifetime there, so it goes to LiveNew, which starts it at once with the layers it
    /// has (LiveOld runs the rest when it pulls it) and serves it whole once loaded. But no more than LiveOld runs may be
    /// handed over and unfinished at once: LiveNew has the same KV blocks, and while it loads it finishes few requests, so
    /// a larger share would wait there for blocks and leave LiveOld idle after the load with LiveNew's backlog behind.
    /// The newest go: those that would wait longest.
    /// </summary>
    /// <param name="waiting">LiveOld's waiting requests (admitted to nothing, holding no KV blocks).</param>
    /// <param name="running">LiveOld's running requests.</param>
    /// <param name="handedOut">Requests LiveOld handed over that have not finished.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    public static int ToHandOver(int waiting, int running, int handedOut)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(waiting);
        ArgumentOutOfRangeException.ThrowIfNegative(running);
        ArgumentOutOfRangeException.ThrowIfNegative(handedOut);
        int keep = Math.Max(running, 1);
        return Math.Max(0, Math.Min(waiting - keep, keep - handedOut));
    }

    /// <summary>
    /// The waiting requests LiveOld hands over once more when its partner has loaded every layer and the pair ends. The
    /// router has given the partner its share of new arrivals, but the backlog LiveOld built while the partner loaded stays
    /// in LiveOld's queue, where it would drain at one instance's rate while the partner has room: half the difference in
    /// open requests goes, so both end with about the same, and never a request LiveOld's running ones will seat next.
    /// </summary>
    /// <param name="waiting">LiveOld's waiting requests.</param>
    /// <param name="running">LiveOld's running requests.</param>
    /// <param name="oldOpen">Requests open on LiveOld (running, waiting, and handed over but not finished).</param>
    /// <param name="newOpen">Requests open on the partner, those it was handed included.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    public static int AtPairEnd(int waiting, int running, int oldOpen, int newOpen)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(waiting);
        ArgumentOutOfRangeException.ThrowIfNegative(running);
        ArgumentOutOfRangeException.ThrowIfNegative(oldOpen);
        ArgumentOutOfRangeException.ThrowIfNegative(newOpen);
        int spare = waiting - Math.Max(running, 1);
        return Math.Clamp((oldOpen - newOpen) / 2, 0, Math.Max(0, spare));
    }
}
