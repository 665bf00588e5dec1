namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// A closed loop of <c>concurrency</c> clients, each sending its next request when the last one ends, from construction until
/// <see cref="StopAsync"/> (unmeasured: the warm-up's load while it scales).
/// </summary>
internal sealed class ClosedLoad : IDisposable
{
    private readonly Func<int[], int, Func<Task>, Task> _generate;
    private readonly ServeWorkload _prompts;
    private readonly int _promptTokens;
    private readonly int _outputTokens;
    private readonly Task[] _clients;
    private volatile bool _stopping;
    private int _completed;
    private int _next;

    public ClosedLoad(Func<int[], int, Func<Task>, Task> generate, ServeWorkload prompts, int concurrency, int promptTokens, int outputTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        _generate = generate;
        _prompts = prompts;
        _promptTokens = promptTokens;
        _outputTokens = outputTokens;
        _clients = [.. Enumerable.Range(0, concurrency).Select(_ => Task.Run(Client))];
    }

    /// <summary>Lets every client finish its request in flight and send no more; returns how many requests completed. Throws the first client's failure.</summary>
    public async Task<int> StopAsync()
    {
        _stopping = true;
        await Task.WhenAll(_clients);
        return _completed;
    }

    /// <summary>Stops sending (without waiting) when <see cref="StopAsync"/> was not called.</summary>
    public void Dispose() => _stopping = true;

    private async Task Client()
    {
        while (!_stopping)
        {
            int index = Interlocked.Increment(ref _next);
            await _generate(_prompts.Prompt(index, _promptTokens), _outputTokens, () => Task.CompletedTask);
            Interlocked.Increment(ref _completed);
        }
    }
}
