using BlitzScale.Native.Engine;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>Scaling cannot see Native, so the grid's default KV block size is a literal: pinned here to local generation's.</summary>
public sealed class BlockSizeTests
{
    [Fact]
    public void The_batch_policy_and_local_generation_use_the_same_block_size()
    {
        Assert.Equal(Generator.DefaultBlockSize, BatchPolicy.DefaultBlockSize);
        Assert.Equal(BatchPolicy.DefaultBlockSize, LocalModel.ContextStore(SyntheticShapes.Get("tiny")).BlockSize);
    }
}
