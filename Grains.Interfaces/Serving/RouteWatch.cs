namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// Watches a route call kept waiting at the model grain. The call waits there for a seat (up to the grain's hold limit), and
/// when the grain's silo dies meanwhile nothing answers it until the runtime's response timeout, 30 s after the dead
/// activation's last word: in <c>bench chaos</c> 265 waiting requests had no token for 37–50 s that way. So every
/// <see cref="ProbeEvery"/> the caller asks the model grain whether it still holds the call (<see cref="IModelGrain.Holds"/>);
/// a new activation does not, nor does one that cannot be reached. Then the call is abandoned (an answer it still gets has its
/// ticket handed back) and the caller routes again.
/// </summary>
internal static class RouteWatch
{
    /// <summary>How long a route call waits before the caller asks whether it is still held.</summary>
    public static readonly TimeSpan ProbeEvery = TimeSpan.FromSeconds(5);

    /// <summary>How long the question may take before the model grain counts as gone.</summary>
    public static readonly TimeSpan ProbeLimit = TimeSpan.FromSeconds(3);

    /// <summary>How long an answer the model grain no longer holds may still take to arrive (it was sent as the question came).</summary>
    public static readonly TimeSpan AnswerGrace = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs <paramref name="call"/> (a route or resume named by the wait it is given) and returns its answer, or throws
    /// <see cref="TimeoutException"/> (a runtime fault, so the caller routes again) once the model grain does not hold it.
    /// </summary>
    public static Task<RouteDecision> Watched(IModelGrain router, Func<Guid, Task<RouteDecision>> call, TimeProvider time,
        CancellationToken cancellationToken) =>
        Watched(router, call, time, ProbeEvery, ProbeLimit, AnswerGrace, cancellationToken);

    /// <summary>As <see cref="Watched(IModelGrain, Func{Guid, Task{RouteDecision}}, TimeProvider, CancellationToken)"/>, with its periods given.</summary>
    public static async Task<RouteDecision> Watched(IModelGrain router, Func<Guid, Task<RouteDecision>> call, TimeProvider time,
        TimeSpan probeEvery, TimeSpan probeLimit, TimeSpan answerGrace, CancellationToken cancellationToken)
    {
        var wait = Guid.NewGuid();
        var pending = call(wait);
        while (true)
        {
            if (await Answered(pending, probeEvery, time, cancellationToken)) return await pending;
            bool held;
            try
            {
                held = await router.Holds(wait).WaitAsync(probeLimit, time, cancellationToken);
            }
            catch (Exception e) when (ResumableGeneration.IsRuntimeFault(e, cancellationToken))
            {
                held = false;
            }
            if (held) continue;
            if (await Answered(pending, answerGrace, time, cancellationToken)) return await pending;
            Abandon(router, pending);
            throw new TimeoutException("the model grain no longer holds this request's route call (its activation is gone); routing again");
        }
    }

    // Whether the call was answered (or failed) within the limit.
    private static async Task<bool> Answered(Task<RouteDecision> pending, TimeSpan limit, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            await pending.WaitAsync(limit, time, cancellationToken);
        }
        catch (TimeoutException) when (!pending.IsCompleted)
        {
            return false;
        }
        catch (Exception) when (pending.IsCompleted)
        {
            // Its own failure: the caller awaits it and sees it.
        }
        return true;
    }

    // A call given up on: if it is answered after all, its seat goes back. Nothing of it reaches the caller, who routed again.
    private static void Abandon(IModelGrain router, Task<RouteDecision> pending) => _ = AbandonAsync(router, pending);

    private static async Task AbandonAsync(IModelGrain router, Task<RouteDecision> pending)
    {
        try
        {
            var answer = await pending.ConfigureAwait(false);
            await GridGeneration.Release(router, answer.Ticket).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Its failure (the dead activation's timeout) or its seat's return failing: the router's bookkeeping only, and the
            // model grain drops seats held by tickets nobody hands back.
        }
    }
}
