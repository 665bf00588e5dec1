namespace BlitzScale.Scaling.Live;

/// <summary>How many of a LiveOld instance's waiting requests its LiveNew partner takes over.</summary>
public static class LiveHandover
{
    /// <summary>
    /// The waiting requests to hand over: all but as many as are running now, and all but one when none runs. The requests
    /// running on LiveOld free their seats and KV blocks as they end, and the first <c>max(running, 1)</c> waiting ones take
    /// them; every request behind those would wait at least one whole request's lifetime there. LiveNew starts them at once
    /// with the layers it has (LiveOld runs the rest when it pulls them) and serves them whole once it is loaded, so
    /// LiveOld's backlog no longer outlives the load. The newest go: those that would wait longest.
    /// </summary>
    /// <param name="waiting">LiveOld's waiting requests (admitted to nothing, holding no KV blocks).</param>
    /// <param name="running">LiveOld's running requests.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    public static int ToHandOver(int waiting, int running)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(waiting);
        ArgumentOutOfRangeException.ThrowIfNegative(running);
        return Math.Max(0, waiting - Math.Max(running, 1));
    }
}
