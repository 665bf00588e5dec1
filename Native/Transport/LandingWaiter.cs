using System.Threading.Tasks.Sources;

namespace BlitzScale.Native.Transport;

/// <summary>
/// A reader of an <see cref="ImageSink"/> waiting for bytes that have not landed yet (a chain node forwarding faster
/// than it receives). Pooled by the sink, so waiting on every chunk allocates nothing.
/// </summary>
internal sealed class LandingWaiter(ImageSink owner) : IValueTaskSource<ReadOnlyMemory<byte>>
{
    private ManualResetValueTaskSourceCore<ReadOnlyMemory<byte>> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _cancellation;

    public int Blob { get; private set; }
    /// <summary>The bytes of the blob up to this offset must have landed.</summary>
    public long End { get; private set; }
    public ReadOnlyMemory<byte> Bytes { get; private set; }

    public ValueTask<ReadOnlyMemory<byte>> Task => new(this, _core.Version);

    public void Arm(int blob, long end, ReadOnlyMemory<byte> bytes)
    {
        Blob = blob;
        End = end;
        Bytes = bytes;
    }

    /// <summary>
    /// Called under the sink's lock after the waiter is queued; a token cancelled in between calls back at once,
    /// re-entering the lock on this thread.
    /// </summary>
    public void WatchCancellation(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((LandingWaiter)state!).Cancel(token), this);
    }

    public void Land() => _core.SetResult(Bytes);

    public void Fail(Exception error) => _core.SetException(error);

    private void Cancel(CancellationToken token) => owner.CancelWait(this, token);

    public ReadOnlyMemory<byte> GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            // Waits for a cancellation callback that is running, so the waiter is idle before it is reused.
            _cancellation.Dispose();
            _cancellation = default;
            Bytes = default;
            _core.Reset();
            owner.Return(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
