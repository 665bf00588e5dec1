using System.Globalization;

namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// One step of a shard's token stream, watched: it ends with the step, or with the instance's loss once the shard's host has
/// left the cluster (or runs another silo) while the step waits, or once, after some silo died, the shard says at two looks in
/// a row that it has handed out updates that never arrived, or that it has waited <see cref="UnaskedLimit"/> for an ask the
/// caller made, or that it holds no such stream.
/// </summary>
/// <remarks>
/// A caller's call to a shard goes through a gateway silo. When the shard's silo dies, a call already forwarded there is
/// answered by nobody: the gateway does not fail it when membership declares the silo dead, and the caller waited for its
/// response timeout, 30 s. In bench chaos (5566526) every request streaming from a killed silo stopped for 31.7–31.8 s
/// between two tokens, though membership had declared the silo dead about 6 s after the kill. Only a silo membership has
/// declared dead (or replaced) gives a stream up, so a slow shard is waited for as before and no request runs twice.
/// The same happens when the dead silo was only the gateway: in the same run, after a source-kill, 18 requests on a shard of
/// a live host stopped for 31 s. So after a death the watch asks the shard how far its stream got
/// (<see cref="ILayerShardGrain.StreamProgress"/>, through a live gateway): updates handed out that did not arrive, or no such
/// stream open there (the runtime drops a stream nobody asks for within one to two response timeouts), twice in a row, mean
/// the stream is lost; a stream merely waiting for its next token is handed no more than arrived and is waited for.
/// The runtime asks a shard for the next update only when the caller does, so the caller's ask can be lost too: in bench
/// chaos at f2692bb a request on a shard of a live host stood 30 s after a kill, every update its shard had handed out
/// arrived, its shard waiting to be asked (the ask had gone through the killed silo's gateway; the instance had meanwhile
/// finished the request). So a shard that has waited <see cref="UnaskedLimit"/> for an ask the caller made counts as
/// one whose updates went nowhere.
/// </remarks>
internal static class StreamWatch
{
    /// <summary>How long a step waits between looks at the cluster's hosts.</summary>
    internal static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);

    /// <summary>The looks of the grid: one every <see cref="CheckEvery"/> on the system clock.</summary>
    public static Task Every(CancellationToken cancellationToken) => Task.Delay(CheckEvery, TimeProvider.System, cancellationToken);

    /// <summary>
    /// The next update of <paramref name="updates"/>: (true, null) with one, (false, null) at the stream's end, (false, the
    /// loss) when the instance was lost (<see cref="ResumableGeneration.IsInstanceLoss"/>, or its host gone meanwhile). Any
    /// other error is the request's and is thrown. A step given up is left to end on its own, its error observed; the caller
    /// cancels its call (<paramref name="abandon"/>) and must not await the enumerator's disposal.
    /// </summary>
    /// <param name="updates">The shard's stream.</param>
    /// <param name="shard">The shard, named in the loss.</param>
    /// <param name="host">The host the shard runs on.</param>
    /// <param name="hosts">The cluster's hosts.</param>
    /// <param name="nextLook">Completes when it is time for the next look (<see cref="Every"/> in the grid).</param>
    /// <param name="abandon">Cancels the stream's calls when the step is given up.</param>
    /// <param name="received">Updates of this stream that arrived before this step.</param>
    /// <param name="progress">Asks the shard how far this stream got there (null: no such stream open there).</param>
    /// <param name="cancellationToken">The caller's: its cancellation is the request's, never a loss.</param>
    public static async Task<(bool More, Exception? Lost)> Step(IAsyncEnumerator<GenerationUpdate> updates, string shard, string host, ClusterHosts hosts,
        Func<CancellationToken, Task> nextLook, Action abandon, int received, Func<Task<StreamPosition?>> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updates);
        ArgumentNullException.ThrowIfNull(hosts);
        ArgumentNullException.ThrowIfNull(nextLook);
        ArgumentNullException.ThrowIfNull(abandon);
        ArgumentNullException.ThrowIfNull(progress);
        var next = updates.MoveNextAsync();
        // Most steps are a token already in the runtime's batch: nothing to watch.
        if (next.IsCompletedSuccessfully) return (next.Result, null);
        long started = hosts.Now();
        var step = next.AsTask();
        // The silo the host ran at the first look: another one there later means this one died and was restarted.
        string? silo = null;
        // Looks in a row at which the shard had handed out more than arrived, waited long to be asked, or held no such stream.
        int strikes = 0;
        while (!step.IsCompleted)
        {
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var look = nextLook(tick.Token);
            if (await Task.WhenAny(step, look).ConfigureAwait(false) == step || cancellationToken.IsCancellationRequested)
            {
                await tick.CancelAsync().ConfigureAwait(false);
                break;
            }
            var listed = await hosts.Current().ConfigureAwait(false);
            if (listed is null || step.IsCompleted) continue;
            string? lost = !listed.TryGetValue(host, out var now) ? $"its host {host} left the cluster"
                : silo is not null && now != silo ? $"its host {host} runs another silo ({now}, not {silo})" : null;
            silo ??= now;
            if (lost is null && hosts.DeathSeenSince(started))
            {
                var (answered, position) = await Progress(progress).ConfigureAwait(false);
                if (step.IsCompleted || !answered) continue;
                string? behind = Behind(position, received);
                strikes = behind is null ? 0 : strikes + 1;
                if (strikes >= 2) lost = behind;
            }
            if (lost is null) continue;
            _ = step.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            abandon();
            return (false, new InstanceLostException(shard, lost));
        }
        try
        {
            return (await step.ConfigureAwait(false), null);
        }
        catch (Exception e) when (ResumableGeneration.IsInstanceLoss(e, cancellationToken))
        {
            return (false, e);
        }
    }

    /// <summary>
    /// How long a shard may wait for the caller's ask for the next update before the ask counts as lost (when a silo died).
    /// A caller asks again as soon as an update arrives; 2 s is far above that round trip on a busy host.
    /// </summary>
    internal static readonly TimeSpan UnaskedLimit = TimeSpan.FromSeconds(2);

    // Why the shard's answer shows a stream going nowhere (a strike), or null when it merely waits for its next token.
    private static string? Behind(StreamPosition? position, int received) => position switch
    {
        null => "after a silo died the shard no longer streams it",
        { Handed: var handed } when handed > received =>
            $"after a silo died its updates stopped reaching the caller (the shard handed out {handed}, {received} arrived)",
        { UnaskedSeconds: var unasked } when unasked >= UnaskedLimit.TotalSeconds => string.Create(CultureInfo.InvariantCulture,
            $"after a silo died the caller's ask for its next update never reached the shard (all {position.Handed} it handed out arrived; it waited {unasked:0.0} s to be asked)"),
        _ => null,
    };

    /// <summary>How long the shard's answer about its stream is waited for; unanswered, it decides nothing.</summary>
    internal static readonly TimeSpan ProgressLimit = TimeSpan.FromSeconds(2);

    // The shard's answer, or not answered (it could not be reached in time: no verdict).
    private static async Task<(bool Answered, StreamPosition? Position)> Progress(Func<Task<StreamPosition?>> progress)
    {
        try
        {
            return (true, await progress().WaitAsync(ProgressLimit).ConfigureAwait(false));
        }
        catch (Exception e) when (ResumableGeneration.IsRuntimeFault(e, CancellationToken.None))
        {
            return (false, null);
        }
    }
}
