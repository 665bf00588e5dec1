namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// A call a polling loop keeps in flight across its polls: each poll waits for it at most a given time, so a call to a grain
/// whose silo just died (answered only by a timeout, seconds later) does not stop the loop from seeing what another call says
/// meanwhile. A finished call's result is handed out once; the next poll starts a new call. Not thread-safe: one loop polls.
/// </summary>
internal sealed class PendingCall<T>
{
    private Task<T>? _call;

    /// <summary>
    /// Starts <paramref name="call"/> unless one is in flight, waits for it at most <paramref name="wait"/>, and returns its
    /// outcome if it ended by then (its value, or the exception it failed with); null while it is still in flight.
    /// </summary>
    public async Task<PendingOutcome<T>?> Poll(Func<Task<T>> call, TimeSpan wait)
    {
        ArgumentNullException.ThrowIfNull(call);
        var running = _call ??= Start(call);
        if (!running.IsCompleted) await Task.WhenAny(running, Task.Delay(wait)).ConfigureAwait(false);
        if (!running.IsCompleted) return null;
        _call = null;
        return running.IsCompletedSuccessfully ? new PendingOutcome<T>(running.Result, null) : new PendingOutcome<T>(default, running.Exception?.InnerException ?? new OperationCanceledException());
    }

    // A call that throws before its first await is a failed call like any other.
    private static Task<T> Start(Func<Task<T>> call)
    {
        try
        {
            return call();
        }
        catch (Exception e)
        {
            return Task.FromException<T>(e);
        }
    }
}

/// <summary>What a finished <see cref="PendingCall{T}"/> gave: its value, or the exception it failed with.</summary>
internal sealed record PendingOutcome<T>(T? Value, Exception? Error);
