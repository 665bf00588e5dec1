namespace BlitzScale.Native.Transport.Rdma;

/// <summary>
/// The receiver's pairing of the two halves of every chunk: its bytes, placed by an RDMA write whose immediate is the
/// chunk's index in the plan (seen as a receive completion), and the sender's hash, a header on the side channel.
/// They travel different paths, so either may come first; a chunk is checked once both are in.
/// </summary>
/// <remarks>
/// <code>
/// Waiting ──bytes──▶ Placed ──hash──▶ Ready ──TryTakeReady──▶ Checking ──Landed──▶ Done
///    │                                 ▲                          │
///    └──hash──▶ Hashed ──bytes─────────┘                          └──Refetching──▶ Waiting (fetched again)
/// </code>
/// Any other event (bytes or a hash twice, for a chunk being checked or done, or for an index outside the plan) is
/// the sender breaking the protocol, reported as such rather than thrown, so the caller can name the peer.
/// </remarks>
internal sealed class ChunkLedger
{
    [Flags]
    private enum State : byte
    {
        Waiting = 0,
        Placed = 1,
        Hashed = 2,
        Ready = Placed | Hashed,
        Checking = 4,
        Done = 8,
    }

    private readonly ChunkRef[] _chunks;
    private readonly State[] _state;
    private readonly ulong[] _hash;
    private readonly Queue<int> _ready;

    public ChunkLedger(ChunkPlan plan)
    {
        _chunks = new ChunkRef[plan.Count];
        for (int blob = plan.FirstBlob; blob < plan.EndBlob; blob++)
        {
            for (int i = 0; i < plan.ChunksOf(blob); i++)
            {
                var chunk = plan.Get(blob, i);
                _chunks[plan.IndexOf(chunk)] = chunk;
            }
        }
        _state = new State[plan.Count];
        _hash = new ulong[plan.Count];
        _ready = new Queue<int>(Math.Min(plan.Count, 1024));
    }

    public int Count => _chunks.Length;

    /// <summary>The bytes of the chunk with this index (a write's immediate) have been placed.</summary>
    public LedgerEvent Placed(uint index) => Add(index, State.Placed);

    /// <summary>The sender's hash of the chunk with this index has arrived.</summary>
    public LedgerEvent Hashed(int index, ulong hash)
    {
        var result = Add((uint)index, State.Hashed);
        if (result is LedgerEvent.Waiting or LedgerEvent.Ready) _hash[index] = hash;
        return result;
    }

    /// <summary>A chunk whose bytes and hash are both in, to check now; it stays "checking" until <see cref="Landed"/> or <see cref="Refetching"/>.</summary>
    public bool TryTakeReady(out ChunkRef chunk, out ulong hash)
    {
        if (!_ready.TryDequeue(out int index))
        {
            chunk = default;
            hash = 0;
            return false;
        }
        _state[index] = State.Checking;
        chunk = _chunks[index];
        hash = _hash[index];
        return true;
    }

    /// <summary>The chunk passed its check.</summary>
    public void Landed(int index) => Settle(index, State.Done);

    /// <summary>The chunk failed its check and was asked for again: its next bytes and hash are expected.</summary>
    public void Refetching(int index) => Settle(index, State.Waiting);

    private LedgerEvent Add(uint index, State half)
    {
        if (index >= (uint)_state.Length) return LedgerEvent.Unknown;
        var state = _state[index];
        if ((state & (half | State.Checking | State.Done)) != 0) return LedgerEvent.Duplicate;
        state |= half;
        _state[index] = state;
        if (state != State.Ready) return LedgerEvent.Waiting;
        _ready.Enqueue((int)index);
        return LedgerEvent.Ready;
    }

    private void Settle(int index, State next)
    {
        if (_state[index] != State.Checking)
            throw new InvalidOperationException($"chunk {index} is not being checked (it is {_state[index]})");
        _state[index] = next;
    }
}

/// <summary>What one half of a chunk did to the <see cref="ChunkLedger"/>.</summary>
internal enum LedgerEvent
{
    /// <summary>Recorded; the other half is still to come.</summary>
    Waiting,
    /// <summary>Recorded, and the chunk is ready to check.</summary>
    Ready,
    /// <summary>No chunk of the plan has that index.</summary>
    Unknown,
    /// <summary>That half was already in, or the chunk is being checked or done.</summary>
    Duplicate,
}
