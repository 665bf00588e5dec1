using System.Threading.Tasks.Sources;

namespace BlitzScale.Native.Transport.SharedMemory;

/// <summary>
/// The server's view of the staging ring's slots: which are free, which chunk each rented one holds. One writer
/// rents (waiting when the client holds every slot), the socket reader returns; waiting allocates nothing, as the
/// single waiter is this object itself.
/// </summary>
internal sealed class SlotPool : IValueTaskSource<int>
{
    private readonly Lock _gate = new();
    private readonly Queue<int> _free;
    private readonly ChunkRef?[] _held;
    private ManualResetValueTaskSourceCore<int> _waiter = new() { RunContinuationsAsynchronously = true };
    private bool _waiting;
    private ChunkRef _pending;
    private Exception? _closed;

    public SlotPool(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        _free = new Queue<int>(slots);
        _held = new ChunkRef?[slots];
        for (int s = 0; s < slots; s++) _free.Enqueue(s);
    }

    public int Slots => _held.Length;

    /// <summary>A free slot, now holding <paramref name="chunk"/>; waits for a release when none is free. One caller at a time.</summary>
    /// <exception cref="InvalidOperationException">Another rent is already waiting.</exception>
    /// <exception cref="Exception">The exception the pool was closed with.</exception>
    public ValueTask<int> RentAsync(ChunkRef chunk)
    {
        lock (_gate)
        {
            if (_closed is not null) return ValueTask.FromException<int>(_closed);
            if (_waiting) throw new InvalidOperationException("only one rent may wait for a slot at a time");
            if (_free.TryDequeue(out int slot))
            {
                _held[slot] = chunk;
                return new ValueTask<int>(slot);
            }
            _waiting = true;
            _pending = chunk;
            return new ValueTask<int>(this, _waiter.Version);
        }
    }

    /// <summary>
    /// The client is done with a slot: the chunk it held, and the slot is free again (or handed to the waiting rent).
    /// False when the slot was not rented: the client broke the protocol.
    /// </summary>
    public bool Release(int slot, out ChunkRef chunk)
    {
        chunk = default;
        lock (_gate)
        {
            if ((uint)slot >= (uint)_held.Length || _held[slot] is not { } held) return false;
            chunk = held;
            if (_waiting && _closed is null)
            {
                _waiting = false;
                _held[slot] = _pending;
                _waiter.SetResult(slot);
            }
            else
            {
                _held[slot] = null;
                _free.Enqueue(slot);
            }
            return true;
        }
    }

    /// <summary>No more slots will be released: a waiting rent and every later one fail with <paramref name="error"/>.</summary>
    public void Close(Exception error)
    {
        lock (_gate)
        {
            if (_closed is not null) return;
            _closed = error;
            if (!_waiting) return;
            _waiting = false;
            _waiter.SetException(error);
        }
    }

    public int GetResult(short token)
    {
        try
        {
            return _waiter.GetResult(token);
        }
        finally
        {
            lock (_gate) _waiter.Reset();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _waiter.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);
}
