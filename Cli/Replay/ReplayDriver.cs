using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Replay;

/// <summary>
/// Plays a <see cref="ReplaySchedule"/> open loop: each request starts at its scheduled time whether or not earlier ones
/// have finished, and its arrival, every token's time, its end, its shard and its outcome are logged against one clock.
/// </summary>
internal static class ReplayDriver
{
    /// <summary>
    /// Sends every arrival through <paramref name="generate"/> at its time (seconds after <paramref name="origin"/> on
    /// <paramref name="time"/>), then waits for the stragglers up to <paramref name="drain"/> after the last arrival; those
    /// still open then are cancelled and logged as lost. <paramref name="sent"/> and <paramref name="done"/> count along for a
    /// progress display.
    /// </summary>
    public static async Task<IReadOnlyList<ReplayRequest>> Play(IReadOnlyList<ReplayArrival> arrivals,
        Func<ReplayArrival, CancellationToken, IAsyncEnumerable<GenerationUpdate>> generate, TimeProvider time, long origin, TimeSpan drain,
        ReplayCounters counters, CancellationToken cancellation)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var running = new List<Task<ReplayRequest>>(arrivals.Count);
        foreach (var arrival in arrivals)
        {
            double wait = arrival.AtSeconds - Seconds(time, origin);
            if (wait > 0) await Task.Delay(TimeSpan.FromSeconds(wait), time, cancellation);
            counters.Sent();
            running.Add(Task.Run(() => One(arrival, generate, time, origin, counters, stop.Token), CancellationToken.None));
        }
        stop.CancelAfter(drain);
        return await Task.WhenAll(running);
    }

    private static async Task<ReplayRequest> One(ReplayArrival arrival, Func<ReplayArrival, CancellationToken, IAsyncEnumerable<GenerationUpdate>> generate,
        TimeProvider time, long origin, ReplayCounters counters, CancellationToken stop)
    {
        double start = Seconds(time, origin);
        var tokens = new List<double>(arrival.OutputTokens);
        var ids = new List<int>(arrival.OutputTokens);
        int resumes = 0;
        var reasons = new List<string>();
        string? shard = null, finish = null;
        ReplayRequest Log(ReplayOutcome outcome, string? error)
        {
            counters.Done(outcome);
            return new ReplayRequest(arrival.Index, arrival.TraceLine, arrival.AtSeconds, start, arrival.PromptTokens, arrival.OutputTokens, tokens,
                Seconds(time, origin), shard, outcome, error) { TokenIds = ids, Resumes = resumes, ResumeReasons = reasons };
        }
        try
        {
            await foreach (var update in generate(arrival, stop).WithCancellation(stop))
            {
                if (update.Instance is { } name) shard ??= name;
                // A request the busy instance handed to its live partner counts as the partner's.
                if (update.HandedTo is { } partner) shard = partner;
                if (update.Finish is { } f) finish = f;
                resumes = Math.Max(resumes, update.Resumes);
                if (update.ResumedBecause is { } because) reasons.Add(because);
                if (update.TokenId < 0) continue;
                tokens.Add(Seconds(time, origin));
                ids.Add(update.TokenId);
            }
            if (finish is null) return Log(ReplayOutcome.Lost, $"the stream ended after {tokens.Count} of {arrival.OutputTokens} tokens without a finish reason");
            if (tokens.Count < arrival.OutputTokens)
                return Log(ReplayOutcome.Lost, $"finished \"{finish}\" after {tokens.Count} of {arrival.OutputTokens} tokens (EOS is ignored: all were due)");
            return Log(ReplayOutcome.Ok, null);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return Log(ReplayOutcome.Lost, $"still open when the drain time ran out, after {tokens.Count} of {arrival.OutputTokens} tokens");
        }
        catch (Exception e)
        {
            return Log(ReplayOutcome.Failed, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static double Seconds(TimeProvider time, long origin) => time.GetElapsedTime(origin).TotalSeconds;
}

/// <summary>Requests sent, in flight and ended so far, for the progress display and the cluster samples (thread-safe).</summary>
internal sealed class ReplayCounters
{
    private int _sent, _ok, _failed, _lost;

    public int SentCount => Volatile.Read(ref _sent);
    public int OkCount => Volatile.Read(ref _ok);
    public int FailedCount => Volatile.Read(ref _failed);
    public int LostCount => Volatile.Read(ref _lost);
    public int InFlight => SentCount - OkCount - FailedCount - LostCount;

    public void Sent() => Interlocked.Increment(ref _sent);

    public void Done(ReplayOutcome outcome)
    {
        switch (outcome)
        {
            case ReplayOutcome.Ok: Interlocked.Increment(ref _ok); break;
            case ReplayOutcome.Failed: Interlocked.Increment(ref _failed); break;
            default: Interlocked.Increment(ref _lost); break;
        }
    }
}
