using BlitzScale.Native.Cuda;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>The chunk and staging-slot schedule of <see cref="ChunkedUploader"/>, checked without a device.</summary>
public sealed class StagingPlanTests
{
    [Theory]
    [InlineData(0L, 8 << 20, 2)]
    [InlineData(1L, 8 << 20, 2)]
    [InlineData(8L << 20, 8 << 20, 2)]
    [InlineData((8L << 20) + 1, 8 << 20, 2)]
    [InlineData(436L * 1000 * 1000, 8 << 20, 2)]
    [InlineData(436L * 1000 * 1000, 4 << 20, 3)]
    [InlineData(5L << 30, 16 << 20, 4)]
    public void Chunks_cover_the_range_exactly_once_and_alternate_slots(long bytes, int chunkBytes, int slots)
    {
        var plan = new StagingPlan(bytes, chunkBytes, slots);

        Assert.Equal((bytes + chunkBytes - 1) / chunkBytes, plan.Count);
        long next = 0;
        for (int i = 0; i < plan.Count; i++)
        {
            var chunk = plan[i];
            Assert.Equal(i, chunk.Index);
            Assert.Equal(next, chunk.Offset);
            Assert.True(chunk.Length > 0);
            if (i < plan.Count - 1) Assert.Equal(chunkBytes, chunk.Length);
            Assert.True(chunk.Length >= ChunkedUploader.MinChunkBytes || i == plan.Count - 1);
            Assert.Equal(i % slots, chunk.Slot);
            if (i > 0) Assert.NotEqual(plan[i - 1].Slot, chunk.Slot);
            // A slot is reused only after its previous chunk, which used the same slot.
            if (i < slots) Assert.Equal(-1, chunk.WaitsFor);
            else
            {
                Assert.Equal(i - slots, chunk.WaitsFor);
                Assert.Equal(chunk.Slot, plan[chunk.WaitsFor].Slot);
            }
            next += chunk.Length;
        }
        Assert.Equal(bytes, next);
    }

    [Fact]
    public void A_plan_needs_two_slots_and_a_positive_chunk()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StagingPlan(100, 8 << 20, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StagingPlan(100, 0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StagingPlan(-1, 8 << 20, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StagingPlan(100, 8 << 20, 2)[1]);
    }

    [Fact]
    public void The_uploader_defaults_are_pinned()
    {
        Assert.Equal(8 << 20, ChunkedUploader.DefaultChunkBytes);
        Assert.Equal(4 << 20, ChunkedUploader.MinChunkBytes);
        Assert.Equal(2, ChunkedUploader.DefaultStagingBuffers);
    }
}
