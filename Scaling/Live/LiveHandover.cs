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
}
