namespace BlitzScale.Scaling.Serving;

/// <summary>
/// The KV-cache blocks one sequence owns, in position order: position p lives in block
/// <c>Blocks[p / blockSize]</c> at slot <c>p % blockSize</c>. The same table addresses every layer, so
/// instances that each run a range of layers share one table.
/// </summary>
public sealed class KvBlockTable
{
    private readonly List<int> _blocks = [];

    /// <summary>Block ids in position order; an executor hands this list to the engine as it is (no copy).</summary>
    public IReadOnlyList<int> Blocks => _blocks;

    /// <summary>Positions whose keys and values are cached (the next token's position).</summary>
    public int Length { get; set; }

    /// <summary>Positions the blocks can hold.</summary>
    public int Capacity(int blockSize) => _blocks.Count * blockSize;

    /// <summary>Appends a block id.</summary>
    public void AddBlock(int block) => _blocks.Add(block);

    /// <summary>Empties the table, returning the ids it held.</summary>
    public int[] ReleaseBlocks()
    {
        var ids = _blocks.ToArray();
        _blocks.Clear();
        Length = 0;
        return ids;
    }
}
