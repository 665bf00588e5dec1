namespace BlitzScale.Native.Transport.Rdma;

/// <summary>
/// How a completion-queue poller waits when a round finds nothing: it spins while chunks flow (completions come
/// microseconds apart, far below any wake-up latency), then naps a millisecond per round, so a receiver whose sender
/// is itself waiting upstream (a chain) does not hold a core.
/// </summary>
internal struct PollBackoff
{
    /// <summary>Idle rounds spent spinning before napping.</summary>
    public const int SpinRounds = 256;

    private int _idle;

    public void Reset() => _idle = 0;

    public ValueTask IdleAsync(CancellationToken cancellationToken)
    {
        if (++_idle <= SpinRounds)
        {
            Thread.SpinWait(32);
            return ValueTask.CompletedTask;
        }
        return new ValueTask(Task.Delay(1, cancellationToken));
    }
}
