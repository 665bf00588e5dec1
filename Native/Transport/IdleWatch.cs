namespace BlitzScale.Native.Transport;

/// <summary>
/// The receiving side's clock on a started transfer, shared by every transport: a peer that proved the secret and then
/// sends nothing (or a chain whose upstream stalls) cannot hold a load forever. Whatever arrives restarts the clock;
/// when it runs out the transfer fails as a lost source, so the load is planned again without that peer.
/// </summary>
internal sealed class IdleWatch : IDisposable
{
    private readonly CancellationTokenSource _idle;
    private readonly TimeSpan _timeout;

    private IdleWatch(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _timeout = timeout;
        _idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _idle.CancelAfter(timeout);
    }

    /// <summary>Cancelled by the caller, or once nothing arrived for the timeout.</summary>
    public CancellationToken Token => _idle.Token;

    /// <summary>Something arrived from the peer: the clock starts again.</summary>
    public void Restart() => _idle.CancelAfter(_timeout);

    public void Dispose() => _idle.Dispose();

    /// <summary>
    /// Runs <paramref name="receive"/> under a watch of <paramref name="timeout"/>; when the clock runs out (and the
    /// caller did not cancel) throws <see cref="SourceLostException"/>: "it sent nothing for N s".
    /// </summary>
    public static async Task RunAsync(TransferTracker tracker, TimeSpan timeout, Func<IdleWatch, Task> receive, CancellationToken cancellationToken)
    {
        using var watch = new IdleWatch(timeout, cancellationToken);
        try
        {
            await receive(watch).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (watch._idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw tracker.Lost($"it sent nothing for {timeout.TotalSeconds:0.#} s", e);
        }
    }
}
