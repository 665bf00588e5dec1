namespace BlitzScale.Scaling.Serving;

/// <summary>Hands out KV-cache block ids. Running out is an answer (<c>false</c>), not an exception.</summary>
public sealed class KvBlockAllocator
{
    private readonly Stack<int> _free;

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
    public int FreeBlocks => _free.Count;
    /// <summary>Blocks in use.</summary>
    public int UsedBlocks => TotalBlocks - _free.Count;

    /// <summary>Blocks a sequence of <paramref name="positions"/> positions needs.</summary>
    public int BlocksFor(int positions) => (positions + BlockSize - 1) / BlockSize;

    /// <summary>Grows <paramref name="table"/> to hold <paramref name="positions"/> positions; false (and no change) if the blocks are not free.</summary>
    public bool TryReserve(KvBlockTable table, int positions)
    {
        int needed = BlocksFor(positions) - table.Blocks.Count;
        if (needed <= 0) return true;
        if (needed > _free.Count) return false;
        for (int i = 0; i < needed; i++)
            table.AddBlock(_free.Pop());
        return true;
    }

    /// <summary>Returns a table's blocks.</summary>
    public void Release(KvBlockTable table)
    {
        foreach (int block in table.ReleaseBlocks())
            _free.Push(block);
    }
}
