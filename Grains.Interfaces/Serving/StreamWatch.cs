namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// One step of a shard's token stream, watched: it ends with the step, or with the instance's loss once the shard's host has
/// left the cluster (or runs another silo) while the step waits.
/// </summary>
/// <remarks>
/// A caller's call to a shard goes through a gateway silo. When the shard's silo dies, a call already forwarded there is
/// answered by nobody: the gateway does not fail it when membership declares the silo dead, and the caller waited for its
/// response timeout, 30 s. In bench chaos (5566526) every request streaming from a killed silo stopped for 31.7–31.8 s
/// between two tokens, though membership had declared the silo dead about 6 s after the kill. Only a silo membership has
/// declared dead (or replaced) gives a stream up, so a slow shard is waited for as before and no request runs twice.
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
    /// <param name="cancellationToken">The caller's: its cancellation is the request's, never a loss.</param>
    public static async Task<(bool More, Exception? Lost)> Step(IAsyncEnumerator<GenerationUpdate> updates, string shard, string host, ClusterHosts hosts,
        Func<CancellationToken, Task> nextLook, Action abandon, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updates);
        ArgumentNullException.ThrowIfNull(hosts);
        ArgumentNullException.ThrowIfNull(nextLook);
        ArgumentNullException.ThrowIfNull(abandon);
        var step = updates.MoveNextAsync().AsTask();
        // The silo the host ran at the first look: another one there later means this one died and was restarted.
        string? silo = null;
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
}
