namespace BlitzScale.Scaling.Serving;

/// <summary>Hands out KV-cache block ids. Running out is an answer (<c>false</c>), not an exception.</summary>
/// <remarks>
/// Thread-safe: during live scaling two schedulers of one instance (the live one finishing its requests and the batcher
/// taking new ones) share one KV store, each under its own lock, so the allocator guards its own free list.
/// </remarks>
public sealed class KvBlockAllocator
{
    private readonly Stack<int> _free;
    private readonly Lock _gate = new();

    /// <summary>An allocator of ids 0..<paramref name="blocks"/>-1.</summary>
    public KvBlockAllocator(int blocks, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blocks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        TotalBlocks = blocks;
        BlockSize = blockSize;
        // Lowest ids first, so runs are reproducible.
        _free = new Stack<int>(Enumerable.Range(0, blocks).Reverse());
    }

    /// <summary>All blocks.</summary>
    public int TotalBlocks { get; }
    /// <summary>Positions per block.</summary>
    public int BlockSize { get; }
    /// <summary>Blocks not in use.</summary>
    public int FreeBlocks
    {
        get { lock (_gate) return _free.Count; }
    }
    /// <summary>Blocks in use.</summary>
    public int UsedBlocks => TotalBlocks - FreeBlocks;

    /// <summary>Blocks a sequence of <paramref name="positions"/> positions needs.</summary>
    public int BlocksFor(int positions) => (positions + BlockSize - 1) / BlockSize;

    /// <summary>Grows <paramref name="table"/> to hold <paramref name="positions"/> positions; false (and no change) if the blocks are not free.</summary>
    public bool TryReserve(KvBlockTable table, int positions)
    {
        int needed = BlocksFor(positions) - table.Blocks.Count;
        if (needed <= 0) return true;
        lock (_gate)
        {
            if (needed > _free.Count) return false;
            for (int i = 0; i < needed; i++)
                table.AddBlock(_free.Pop());
        }
        return true;
    }

    /// <summary>
    /// Raised after blocks were returned, outside the allocator's lock: a scheduler that shares the allocator learns that
    /// blocks another one held are free (its waiting requests may be admitted now).
    /// </summary>
    public event Action? Released;

    /// <summary>Returns a table's blocks.</summary>
    public void Release(KvBlockTable table)
    {
        var blocks = table.ReleaseBlocks();
        if (blocks.Length == 0) return;
        lock (_gate)
        {
            foreach (int block in blocks) _free.Push(block);
        }
        Released?.Invoke();
    }
}
