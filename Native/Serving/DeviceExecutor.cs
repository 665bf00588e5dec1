namespace BlitzScale.Native.Serving;

/// <summary>
/// One dedicated thread per device that runs queued work in order. Compute never runs on the callers'
/// threads (in the grid, Orleans scheduler threads): they queue work and await its task.
/// </summary>
public sealed class DeviceExecutor : IDisposable
{
    private readonly Queue<WorkItem> _queue = new();
    private readonly Thread _thread;
    private bool _stopping;

    /// <summary>Starts the thread <c>blitz-gpu {name}</c>.</summary>
    public DeviceExecutor(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        _thread = new Thread(Loop) { Name = $"blitz-gpu {name}", IsBackground = true };
        _thread.Start();
    }

    /// <summary>The device's name.</summary>
    public string Name { get; }

    /// <summary>
    /// Queues <paramref name="work"/> behind everything queued before it. The task completes, never inline on
    /// the device thread, with its result or exception; or is cancelled, without running the work, when
    /// <paramref name="cancellationToken"/> is cancelled before the work starts. Started work always finishes.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The executor is disposed.</exception>
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<T>(cancellationToken);
        var item = new WorkItem<T>(work, cancellationToken);
        lock (_queue)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _queue.Enqueue(item);
            Monitor.Pulse(_queue);
        }
        return item.Task;
    }

    /// <summary>Refuses new work, runs what is queued, and waits for the thread to end (unless called from it).</summary>
    public void Dispose()
    {
        lock (_queue)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.Pulse(_queue);
        }
        if (Thread.CurrentThread != _thread) _thread.Join();
    }

    private void Loop()
    {
        while (true)
        {
            WorkItem item;
            lock (_queue)
            {
                while (_queue.Count == 0)
                {
                    if (_stopping) return;
                    Monitor.Wait(_queue);
                }
                item = _queue.Dequeue();
            }
            item.Run();
        }
    }

    private abstract class WorkItem
    {
        public abstract void Run();
    }

    private sealed class WorkItem<T>(Func<T> work, CancellationToken cancellationToken) : WorkItem
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _completion.Task;

        public override void Run()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                _completion.TrySetCanceled(cancellationToken);
                return;
            }
            try
            {
                _completion.TrySetResult(work());
            }
            catch (Exception e)
            {
                // The work's failure belongs to its caller; the device thread goes on.
                _completion.TrySetException(e);
            }
        }
    }
}
