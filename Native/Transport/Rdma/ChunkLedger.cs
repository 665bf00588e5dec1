namespace BlitzScale.Native.Transport.Rdma;

/// <summary>
/// The receiver's pairing of the two halves of every chunk: its bytes, placed by an RDMA write whose immediate is the
/// chunk's index in the plan (seen as a receive completion), and the sender's header on the side channel (its hash,
/// the header's number on the channel and its MAC tag). They travel different paths, so either may come first; a
/// chunk is checked (hash and MAC) once both are in.
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
    private readonly ChunkAnnouncement[] _announced;
    private readonly Queue<int> _ready;

    public ChunkLedger(ChunkPlan plan)
    {
        _chunks = new ChunkRef[plan.Count];
        for (int blob = plan.FirstBlob; blob < plan.EndBlob; blob++)
        {
            for (int i = plan.StartOf(blob); i < plan.EndOf(blob); i++)
            {
                var chunk = plan.Get(blob, i);
                _chunks[plan.IndexOf(chunk)] = chunk;
            }
        }
        _state = new State[plan.Count];
        _announced = new ChunkAnnouncement[plan.Count];
        _ready = new Queue<int>(Math.Min(plan.Count, 1024));
    }

    public int Count => _chunks.Length;

    /// <summary>The bytes of the chunk with this index (a write's immediate) have been placed.</summary>
    public LedgerEvent Placed(uint index) => Add(index, State.Placed);

    /// <summary>The sender's header (hash, number, tag) of the chunk with <see cref="ChunkAnnouncement.Index"/> has arrived.</summary>
    public LedgerEvent Announced(in ChunkAnnouncement header)
    {
        var result = Add((uint)header.Index, State.Hashed);
        if (result is LedgerEvent.Waiting or LedgerEvent.Ready) _announced[header.Index] = header;
        return result;
    }

    /// <summary>A chunk whose bytes and header are both in, to check now; it stays "checking" until <see cref="Landed"/> or <see cref="Refetching"/>.</summary>
    public bool TryTakeReady(out ChunkRef chunk, out ChunkAnnouncement header)
    {
        if (!_ready.TryDequeue(out int index))
        {
            chunk = default;
            header = default;
            return false;
        }
        _state[index] = State.Checking;
        chunk = _chunks[index];
        header = _announced[index];
        return true;
    }

    /// <summary>The chunk passed its check.</summary>
    public void Landed(int index) => Settle(index, State.Done);

    /// <summary>The chunk failed its check and was asked for again: its next bytes and header (with a new number) are expected.</summary>
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

/// <summary>
/// A chunk header as the side channel delivered it: the chunk's index in the plan, the sender's hash, the header's
/// number on the channel (from 0: the nonce of its MAC) and the MAC's tag (zero when the server sends none).
/// </summary>
internal readonly record struct ChunkAnnouncement(int Index, ulong Hash, ulong Number, UInt128 Tag)
{
    /// <summary>
    /// Whether the tag is the MAC of this header (rebuilt from the chunk and the hash: the sender wrote exactly these
    /// fields) and of the bytes that landed; true without a MAC. <paramref name="header"/> is scratch space.
    /// </summary>
    public bool Authentic(ChunkMac? mac, ChunkRef chunk, ReadOnlySpan<byte> landed, Span<byte> header)
    {
        if (mac is null) return true;
        new ReplyHeader(ReplyKind.Chunk, chunk.Blob, chunk.Length, chunk.OffsetInBlob, Hash).Write(header);
        var tag = Tag;
        return mac.Verify(Number, header, landed, System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<UInt128>(in tag)));
    }
}
