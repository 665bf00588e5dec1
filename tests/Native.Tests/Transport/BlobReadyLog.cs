using System.Collections.Concurrent;
using BlitzScale.Native.Transport;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>Records blob readiness in the order it is reported, and lets a test wait for one blob.</summary>
internal sealed class BlobReadyLog : IProgress<int>
{
    private readonly List<int> _blobs = [];
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _ready = new();

    /// <summary>Runs on the transfer's receiving loop, right after a blob is reported.</summary>
    public Action<int>? OnReady { get; init; }

    public IReadOnlyList<int> Blobs
    {
        get
        {
            lock (_blobs) return [.. _blobs];
        }
    }

    public void Report(int value)
    {
        lock (_blobs) _blobs.Add(value);
        Signal(value).TrySetResult();
        OnReady?.Invoke(value);
    }

    /// <summary>Completes when the blob is reported; bounded so that a broken transport fails the test instead of hanging it.</summary>
    public Task WhenReady(int blob) => Signal(blob).Task.WaitAsync(TimeSpan.FromSeconds(10));

    private TaskCompletionSource Signal(int blob) =>
        _ready.GetOrAdd(blob, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
