using BlitzScale.Native.Engine;

namespace BlitzScale.Native.Tests.Engine;

/// <summary>One sequence of an engine test: its KV block ids in position order and the positions already cached.</summary>
internal sealed class TestSequence
{
    public List<int> Blocks { get; } = [];

    public int Length { get; set; }

    /// <summary>The segment of the next <paramref name="count"/> tokens, running layers [<paramref name="first"/>, <paramref name="end"/>).</summary>
    public BatchSegment Next(int count, int first, int end) => new(Blocks, Length, count, first, end);
}

/// <summary>
/// Hands out KV block ids for engine tests, lowest first, growing a sequence's table as the grid's allocator does (that
/// one lives in Scaling, out of Native's reach).
/// </summary>
internal sealed class TestBlocks(int blocks, int blockSize)
{
    private int _next;

    public KvStoreShape Shape => new(blocks, blockSize);

    /// <summary>Grows <paramref name="sequence"/>'s table to hold <paramref name="positions"/> positions.</summary>
    public void Reserve(TestSequence sequence, int positions)
    {
        while (sequence.Blocks.Count * blockSize < positions)
        {
            if (_next == blocks) throw new InvalidOperationException($"the test's {blocks} KV blocks are used up");
            sequence.Blocks.Add(_next++);
        }
    }
}
