using BlitzScale.Scaling.Serving;

namespace BlitzScale.Scaling.Tests.Serving;

/// <summary>KV block accounting: whole blocks per sequence, lowest ids first, running out is an answer.</summary>
public sealed class KvBlockAllocatorTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(4, 1)]
    [InlineData(5, 2)]
    [InlineData(16, 4)]
    [InlineData(17, 5)]
    public void Reserving_takes_ceil_positions_over_block_size_blocks_lowest_ids_first(int positions, int blocks)
    {
        var allocator = new KvBlockAllocator(8, 4);
        var sequence = new KvBlockTable();
        Assert.Equal(blocks, allocator.BlocksFor(positions));
        Assert.True(allocator.TryReserve(sequence, positions));
        Assert.Equal(Enumerable.Range(0, blocks), sequence.Blocks);
        Assert.Equal(blocks, allocator.UsedBlocks);
        Assert.Equal(8 - blocks, allocator.FreeBlocks);
        Assert.Equal(blocks * 4, sequence.Capacity(4));
    }

    [Fact]
    public void Growing_a_sequence_adds_only_the_missing_blocks_and_shrinking_is_a_no_op()
    {
        var allocator = new KvBlockAllocator(8, 4);
        var a = new KvBlockTable();
        var b = new KvBlockTable();
        Assert.True(allocator.TryReserve(a, 5));
        Assert.True(allocator.TryReserve(b, 3));
        Assert.True(allocator.TryReserve(a, 9));
        Assert.Equal([0, 1, 3], a.Blocks);
        Assert.Equal([2], b.Blocks);
        Assert.True(allocator.TryReserve(a, 2));
        Assert.Equal(3, a.Blocks.Count);
        Assert.Equal(4, allocator.UsedBlocks);
    }

    [Fact]
    public void Not_enough_free_blocks_returns_false_and_changes_nothing()
    {
        var allocator = new KvBlockAllocator(4, 4);
        var a = new KvBlockTable();
        var b = new KvBlockTable();
        Assert.True(allocator.TryReserve(a, 10)); // 3 blocks
        Assert.True(allocator.TryReserve(b, 2)); // 1 block

        Assert.False(allocator.TryReserve(b, 5));
        Assert.Equal([3], b.Blocks);
        Assert.Equal(0, allocator.FreeBlocks);

        var c = new KvBlockTable();
        Assert.False(allocator.TryReserve(c, 1));
        Assert.Empty(c.Blocks);
    }

    [Fact]
    public void Release_returns_the_blocks_for_reuse_and_empties_the_sequence()
    {
        var allocator = new KvBlockAllocator(4, 4);
        var a = new KvBlockTable();
        Assert.True(allocator.TryReserve(a, 12));
        a.Length = 12;
        var b = new KvBlockTable();
        Assert.False(allocator.TryReserve(b, 8));

        allocator.Release(a);
        Assert.Empty(a.Blocks);
        Assert.Equal(0, a.Length);
        Assert.Equal(4, allocator.FreeBlocks);

        Assert.True(allocator.TryReserve(b, 16));
        Assert.Equal([0, 1, 2, 3], b.Blocks.Order());
    }

    [Theory]
    [InlineData(0, 4)]
    [InlineData(4, 0)]
    [InlineData(-1, 4)]
    public void Sizes_must_be_positive(int blocks, int blockSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvBlockAllocator(blocks, blockSize));
    }
}
