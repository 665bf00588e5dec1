using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Tests.Engine;

/// <summary>The one KV-bytes formula, and the stores the engines allocate by it.</summary>
public sealed class KvStoreShapeTests(SyntheticModelFixture models) : IClassFixture<SyntheticModelFixture>
{
    [Fact]
    public void A_block_takes_keys_and_values_of_every_layer_in_f32()
    {
        // llama3-8b: 32 layers, 8 KV heads of 128: 2 × 32 × 16 × 1024 × 4 bytes = 4 MiB per block of 16 positions.
        var llama3 = SyntheticShapes.Get("llama3-8b");
        Assert.Equal(4L << 20, KvStoreShape.BytesPerBlock(llama3, 16));
        Assert.Equal(1000L * (4L << 20), new KvStoreShape(1000, 16).Bytes(llama3));
        var tiny = models.Config;
        Assert.Equal(2L * tiny.NumLayers * 4 * tiny.KvDim * sizeof(float), KvStoreShape.BytesPerBlock(tiny, 4));
    }

    [Fact]
    public void The_cpu_engine_allocates_exactly_the_formulas_bytes()
    {
        var shape = new KvStoreShape(6, 4);
        using var engine = new CpuEngine(models.Model(DType.F32).Image, shape);
        Assert.Equal(shape, engine.KvShape);
        long bytes = 0;
        for (int layer = 0; layer < models.Config.NumLayers; layer++)
            bytes += (engine.Kv.Keys(layer).Length + engine.Kv.Values(layer).Length) * (long)sizeof(float);
        Assert.Equal(shape.Bytes(models.Config), bytes);
        Assert.Equal(24, shape.Positions);
    }

    [Theory]
    [InlineData(0, 16)]
    [InlineData(4, 0)]
    [InlineData(-1, 16)]
    public void A_store_without_blocks_or_positions_is_refused(int blocks, int blockSize)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvStoreShape(blocks, blockSize));
    }
}
