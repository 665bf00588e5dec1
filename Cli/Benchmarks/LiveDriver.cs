using System.Diagnostics;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// Plays a <see cref="LiveSchedule"/> open loop: each request starts at its scheduled time, whether or not earlier ones
/// have finished, and its arrival, first token, end, serving shard and failure are logged against one clock.
/// </summary>
internal static class LiveDriver
{
    /// <summary>
    /// Sends every arrival through <paramref name="generate"/> at its time on <paramref name="clock"/> (seconds from the
    /// origin), then waits for the stragglers up to <paramref name="drain"/> after the last arrival (later ones are
    /// cancelled and logged as failed).
    /// </summary>
    public static async Task<IReadOnlyList<LiveRequest>> Play(IReadOnlyList<LiveArrival> arrivals,
        Func<LiveArrival, CancellationToken, IAsyncEnumerable<GenerationUpdate>> generate, Stopwatch clock, TimeSpan drain, CancellationToken cancellation)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var running = new List<Task<LiveRequest>>(arrivals.Count);
        foreach (var arrival in arrivals)
        {
            double wait = arrival.AtSeconds - clock.Elapsed.TotalSeconds;
            if (wait > 0) await Task.Delay(TimeSpan.FromSeconds(wait), cancellation);
            running.Add(Task.Run(() => One(arrival, generate, clock, stop.Token), CancellationToken.None));
        }
        stop.CancelAfter(drain);
        return await Task.WhenAll(running);
    }

    private static async Task<LiveRequest> One(LiveArrival arrival, Func<LiveArrival, CancellationToken, IAsyncEnumerable<GenerationUpdate>> generate,
        Stopwatch clock, CancellationToken stop)
    {
        double start = clock.Elapsed.TotalSeconds;
        double? first = null;
        string? shard = null;
        int tokens = 0;
        try
        {
            await foreach (var update in generate(arrival, stop).WithCancellation(stop))
            {
                if (update.Instance is { } name) shard ??= name;
                // A request the busy instance handed to its live partner counts as the partner's.
                if (update.HandedTo is { } partner) shard = partner;
                if (update.TokenId < 0) continue;
                first ??= clock.Elapsed.TotalSeconds;
                tokens++;
            }
            return new LiveRequest(arrival.Index, arrival.Phase, arrival.AtSeconds, start, first, clock.Elapsed.TotalSeconds, shard, tokens, null);
        }
        catch (Exception e)
        {
            string why = e is OperationCanceledException && stop.IsCancellationRequested ? "not finished when the drain time ran out" : $"{e.GetType().Name}: {e.Message}";
            return new LiveRequest(arrival.Index, arrival.Phase, arrival.AtSeconds, start, first, clock.Elapsed.TotalSeconds, shard, tokens, why);
        }
    }
}
