namespace BlitzScale.Grains.Serving;

/// <summary>
/// Something a grain does in reaction to an event (a silo died, the instance count fell short) that must not be lost to a
/// passing fault: it runs one at a time; asked for while it runs, it goes round once more when done (that run saw the state
/// before); and when it fails, it is tried again after <paramref name="retryDelay"/>, one retry pending at a time, until it
/// succeeds. Runs on the caller's scheduler (a grain's turns), so its state needs no lock.
/// </summary>
/// <param name="action">The reaction; it reads what is left to do from the grain's state each time.</param>
/// <param name="retryDelay">How long after a failure it is tried again.</param>
/// <param name="time">The clock of the delay.</param>
/// <param name="failed">Told each failure (to log it), before the retry is scheduled.</param>
internal sealed class RetriedReaction(Func<Task> action, TimeSpan retryDelay, TimeProvider time, Action<Exception> failed)
{
    private bool _running;
    private bool _again;
    private Task? _retry;

    /// <summary>Whether a retry is scheduled (the last run failed).</summary>
    public bool RetryPending => _retry is not null;

    /// <summary>Runs the reaction now, or once more after the run in progress. Never throws: a failure is reported and retried.</summary>
    public async Task Run()
    {
        if (_running)
        {
            _again = true;
            return;
        }
        _running = true;
        try
        {
            do
            {
                _again = false;
                await action();
            }
            while (_again);
        }
        catch (Exception e)
        {
            failed(e);
            _retry ??= RunLater();
        }
        finally
        {
            _running = false;
        }
    }

    private async Task RunLater()
    {
        await Task.Delay(retryDelay, time);
        _retry = null;
        await Run();
    }
}
