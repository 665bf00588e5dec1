namespace BlitzScale.Native.Transport;

/// <summary>
/// Activations pushed to this host (<see cref="ActivationPusher"/>), held under their id until the step that needs them
/// takes them. A take may come before the push (the grain call that names the activation and the push race on the
/// link): it waits, up to a timeout. What nobody takes is dropped after <see cref="HoldFor"/>, and the inbox never holds
/// more than <see cref="MaxHeldBytes"/>, so a consumer that failed cannot make it grow.
/// </summary>
public sealed class ActivationInbox
{
    /// <summary>The largest frame a peer may push: 256 MiB (a 16k-token prompt of 4096 f32 is 256 MiB).</summary>
    public const int DefaultMaxFrameBytes = 256 << 20;
    /// <summary>Bytes held at most before new pushes are refused: 1 GiB.</summary>
    public const long DefaultMaxHeldBytes = 1L << 30;
    /// <summary>How long an activation nobody took is kept: 60 s.</summary>
    public static readonly TimeSpan DefaultHoldFor = TimeSpan.FromSeconds(60);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _held = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource<byte[]>> _waiting = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private long _heldBytes;
    private long _refused;
    private long _expired;

    /// <param name="time">The clock of the take timeout and of <see cref="HoldFor"/>.</param>
    /// <param name="maxFrameBytes">The largest frame accepted.</param>
    /// <param name="maxHeldBytes">Bytes held at most.</param>
    /// <param name="holdFor">How long an activation nobody took is kept.</param>
    /// <exception cref="ArgumentOutOfRangeException">A limit is not positive.</exception>
    public ActivationInbox(TimeProvider? time = null, int maxFrameBytes = DefaultMaxFrameBytes, long maxHeldBytes = DefaultMaxHeldBytes, TimeSpan? holdFor = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFrameBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxHeldBytes);
        HoldFor = holdFor ?? DefaultHoldFor;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HoldFor, TimeSpan.Zero, nameof(holdFor));
        _time = time ?? TimeProvider.System;
        MaxFrameBytes = maxFrameBytes;
        MaxHeldBytes = maxHeldBytes;
    }

    /// <summary>The largest frame a peer may push; a longer one cuts its connection.</summary>
    public int MaxFrameBytes { get; }

    /// <summary>Bytes held at most; a push beyond it is refused (counted in <see cref="Refused"/>).</summary>
    public long MaxHeldBytes { get; }

    /// <summary>How long an activation nobody took is kept.</summary>
    public TimeSpan HoldFor { get; }

    /// <summary>Activations held now, not yet taken.</summary>
    public int Held
    {
        get { lock (_gate) return _held.Count; }
    }

    /// <summary>Pushes refused: a duplicate id, or over <see cref="MaxHeldBytes"/>.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Activations dropped because nobody took them within <see cref="HoldFor"/>.</summary>
    public long Expired => Interlocked.Read(ref _expired);

    /// <summary>
    /// Holds <paramref name="bytes"/> under <paramref name="id"/>, or hands them to the take waiting for them; null when
    /// accepted, else why not (the id is held already, or the inbox is full).
    /// </summary>
    public string? Deliver(string id, byte[] bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(bytes);
        TaskCompletionSource<byte[]>? waiter;
        lock (_gate)
        {
            DropExpiredLocked();
            if (_waiting.Remove(id, out waiter))
            {
                // Handed over below, outside the lock.
            }
            else if (_held.ContainsKey(id))
            {
                Interlocked.Increment(ref _refused);
                return $"activation \"{id}\" is already held here";
            }
            else if (_heldBytes + bytes.Length > MaxHeldBytes)
            {
                Interlocked.Increment(ref _refused);
                return $"activation \"{id}\" of {bytes.Length} bytes would take the bytes held past {MaxHeldBytes}";
            }
            else
            {
                _held[id] = new Entry(bytes, _time.GetTimestamp());
                _heldBytes += bytes.Length;
                return null;
            }
        }
        waiter.TrySetResult(bytes);
        return null;
    }

    /// <summary>Takes the activation pushed under <paramref name="id"/>, waiting up to <paramref name="timeout"/> for it to arrive.</summary>
    /// <exception cref="TimeoutException">It did not arrive in time.</exception>
    /// <exception cref="InvalidOperationException">Another take waits for the same id.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<byte[]> TakeAsync(string id, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        TaskCompletionSource<byte[]> waiter;
        lock (_gate)
        {
            if (_held.Remove(id, out var held))
            {
                _heldBytes -= held.Bytes.Length;
                return held.Bytes;
            }
            waiter = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_waiting.TryAdd(id, waiter)) throw new InvalidOperationException($"activation \"{id}\" is already awaited here");
        }
        try
        {
            return await waiter.Task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            lock (_gate)
            {
                if (_waiting.TryGetValue(id, out var current) && current == waiter) _waiting.Remove(id);
            }
            // Delivered in the instant the wait ended: taken all the same.
            if (waiter.Task.IsCompletedSuccessfully) return waiter.Task.Result;
            if (e is TimeoutException) throw new TimeoutException($"activation \"{id}\" did not arrive within {timeout.TotalSeconds:0.###} s", e);
            throw;
        }
    }

    private void DropExpiredLocked()
    {
        if (_held.Count == 0) return;
        long now = _time.GetTimestamp();
        List<string>? stale = null;
        foreach (var (id, held) in _held)
        {
            if (_time.GetElapsedTime(held.Since, now) >= HoldFor) (stale ??= []).Add(id);
        }
        if (stale is null) return;
        foreach (var id in stale)
        {
            _heldBytes -= _held[id].Bytes.Length;
            _held.Remove(id);
            Interlocked.Increment(ref _expired);
        }
    }

    private sealed record Entry(byte[] Bytes, long Since);
}
