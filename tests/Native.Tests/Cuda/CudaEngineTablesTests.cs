using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Cuda;
using BlitzScale.Native.Cuda.Engine;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Native.Tests.Engine;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>
/// The host-side halves of the cuda backend, checked against the cpu backend without a device: batch tables address
/// the KV cache as <see cref="KvCache.SlotOffset"/> does, the RoPE table rotates as <c>Rope</c> does, the GEMM
/// mapping computes the row-major product, and device tensor addresses follow the host image's offsets.
/// </summary>
public sealed class CudaEngineTablesTests
{
    private static readonly LlamaConfig Tiny = SyntheticShapes.Get("tiny");

    [Fact]
    public void Batch_tables_address_positions_as_the_kv_cache_does()
    {
        const int blockSize = 4;
        var cache = new KvCache(Tiny, new KvStoreShape(32, blockSize));
        var batch = ThreeSegments(blockSize);

        var tables = BatchTables.Build(batch, blockSize, Tiny.KvDim);

        Assert.Equal(74, tables.Positions.Length);
        int t = 0;
        for (int s = 0; s < batch.Segments.Count; s++)
        {
            var segment = batch.Segments[s];
            for (int i = 0; i < segment.Count; i++, t++)
            {
                Assert.Equal(segment.Start + i, tables.Positions[t]);
                Assert.Equal(s, tables.TokenSegments[t]);
                Assert.Equal(cache.SlotOffset(segment.Blocks, segment.Start + i), tables.Slots[t]);
            }
            for (int k = 0; k < segment.Blocks.Count; k++)
                Assert.Equal(segment.Blocks[k], tables.BlockTables[s * tables.MaxBlocks + k]);
        }
        Assert.Equal(18, tables.MaxBlocks);
        // Tiles of ≤ 32 tokens over the multi-token segments; the single token goes to the decode kernel.
        Assert.Equal(new[] { 0, 32, 0, 0, 32, 32, 32, 0, 64, 6, 64, 0, 71, 3, 5, 2 }, tables.PrefillTiles);
        Assert.Equal(new[] { 70 }, tables.DecodeTokens);
        Assert.Equal(69, tables.MaxPosition);
    }

    [Theory]
    [InlineData(2, 100, true)]    // in range: GEMM attention, no tiles
    [InlineData(71, 100, false)]  // shorter than the minimum: tiles
    [InlineData(2, 69, false)]    // longer than the scores allow: tiles
    public void Only_prefills_from_position_0_within_the_range_take_the_gemm_path(int min, int max, bool byGemm)
    {
        var batch = ThreeSegments(4);

        var tables = BatchTables.Build(batch, 4, Tiny.KvDim, (min, max));

        // The chunk continuing at position 5 always has its tile (its keys are partly cached); the decode its token.
        int[] continuation = [71, 3, 5, 2];
        if (byGemm)
        {
            Assert.Equal(new[] { (0, 70) }, tables.GemmSegments);
            Assert.Equal(continuation, tables.PrefillTiles);
        }
        else
        {
            Assert.Empty(tables.GemmSegments);
            Assert.Equal([0, 32, 0, 0, 32, 32, 32, 0, 64, 6, 64, 0, .. continuation], tables.PrefillTiles);
        }
        Assert.Equal(new[] { 70 }, tables.DecodeTokens);
    }

    [Fact]
    public void Gemm_attention_scores_take_a_query_group_times_the_square_of_the_prompt()
    {
        var llama3 = SyntheticShapes.Get("llama3-8b");
        Assert.Equal(4L * 2048 * 2048 * sizeof(float), DeviceForward.ScoreBytes(llama3, 2048));
        Assert.Equal(2L * 10 * 10 * sizeof(float), DeviceForward.ScoreBytes(Tiny, 10));
    }

    [Fact]
    public void Packed_tables_hold_each_table_at_its_offset()
    {
        var tables = BatchTables.Build(Batch.Single([0, 1, 2], 3, 5, 0, 1), 4, Tiny.KvDim);
        byte[] packed = tables.Packed();
        var o = tables.Offsets;
        Assert.Equal(tables.PackedBytes, packed.Length);
        Assert.Equal(0, o.Slots % 8);
        Assert.Equal(tables.Slots, Read<long>(packed, o.Slots, tables.Slots.Length));
        Assert.Equal(tables.Positions, Read<int>(packed, o.Positions, tables.Positions.Length));
        Assert.Equal(tables.BlockTables, Read<int>(packed, o.BlockTables, tables.BlockTables.Length));
        Assert.Equal(tables.PrefillTiles, Read<int>(packed, o.PrefillTiles, tables.PrefillTiles.Length));
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("llama3-8b")]
    public void The_rope_table_rotates_bit_for_bit_as_the_cpu_backend(string shape)
    {
        var config = SyntheticShapes.Get(shape);
        const int positions = 300;
        float[] table = RopeTable.Compute(config, positions);
        var rope = new Rope(config);
        int half = config.HeadDim / 2;
        var random = new Random(3);
        foreach (int position in new[] { 0, 1, 17, 299 })
        {
            var expected = Enumerable.Range(0, config.HeadDim).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            var actual = (float[])expected.Clone();
            rope.Apply(expected, 1, position);
            // What rope_store_kv does with the table.
            for (int j = 0; j < half; j++)
            {
                float cos = table[(position * half + j) * 2], sin = table[(position * half + j) * 2 + 1];
                float x1 = actual[j], x2 = actual[j + half];
                actual[j] = x1 * cos - x2 * sin;
                actual[j + half] = x2 * cos + x1 * sin;
            }
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [InlineData(10, 0, 1024, 256)]
    [InlineData(255, 0, 1024, 256)]
    [InlineData(256, 256, 1024, 512)]
    [InlineData(5000, 512, 131072, 8192)]
    [InlineData(700, 256, 512, 701)]
    [InlineData(100, 512, 1024, 512)]
    public void The_rope_table_grows_by_doubling_up_to_the_context(int maxPosition, int current, int context, int expected) =>
        Assert.Equal(expected, RopeTable.CapacityFor(maxPosition, current, context));

    [Theory]
    [InlineData(1, 3, 5)]
    [InlineData(4, 7, 16)]
    [InlineData(6, 2, 9)]
    public void The_gemm_call_computes_the_row_major_product(int tokens, int outFeatures, int inFeatures)
    {
        var random = new Random(tokens * 100 + outFeatures);
        float[] x = Enumerable.Range(0, tokens * inFeatures).Select(_ => (float)random.Next(-4, 5)).ToArray();
        float[] w = Enumerable.Range(0, outFeatures * inFeatures).Select(_ => (float)random.Next(-4, 5)).ToArray();
        float[] residual = Enumerable.Range(0, tokens * outFeatures).Select(_ => (float)random.Next(-4, 5)).ToArray();

        var call = RowMajorGemm.For(tokens, outFeatures, inFeatures);
        float[] c = (float[])residual.Clone();
        ColumnMajorGemm(call, w, x, c, beta: 1);

        for (int t = 0; t < tokens; t++)
        {
            for (int n = 0; n < outFeatures; n++)
            {
                float expected = residual[t * outFeatures + n];
                for (int k = 0; k < inFeatures; k++) expected += x[t * inFeatures + k] * w[n * inFeatures + k];
                Assert.Equal(expected, c[t * outFeatures + n]);
            }
        }
    }

    [Fact]
    public void Stored_dtypes_map_to_cublas_types()
    {
        Assert.Equal(CudaDataType.F32, RowMajorGemm.TypeOf(DType.F32));
        Assert.Equal(CudaDataType.F16, RowMajorGemm.TypeOf(DType.F16));
        Assert.Equal(CudaDataType.BF16, RowMajorGemm.TypeOf(DType.BF16));
    }

    [Fact]
    public unsafe void Device_tensor_addresses_follow_the_host_image_offsets()
    {
        var config = Tiny with { AttentionBias = true, TieWordEmbeddings = true };
        var layout = ImageLayout.Build(config, name => (DType.BF16, ShapeOf(config, name)), "synthetic");
        using var image = ParameterImage.Allocate(layout);
        const ulong deviceBase = 0x7000_0000_0000UL;
        ulong Host(ImageBlob blob, string name) => (ulong)(image.TensorPointer(blob, blob[name]) - image.Base);

        for (int layer = 0; layer < config.NumLayers; layer++)
        {
            var weights = DeviceLayerWeights.Of(layout, deviceBase, layer);
            var blob = layout.Layer(layer);
            Assert.Equal(deviceBase + Host(blob, TensorNames.Layer(layer, "self_attn.q_proj.weight")), weights.Qkv.Pointer);
            Assert.Equal(deviceBase + Host(blob, TensorNames.Layer(layer, "mlp.gate_proj.weight")), weights.GateUp.Pointer);
            Assert.Equal(deviceBase + Host(blob, TensorNames.Layer(layer, "mlp.down_proj.weight")), weights.Down.Pointer);
            Assert.Equal(deviceBase + Host(blob, TensorNames.Layer(layer, "self_attn.q_proj.bias")), weights.QkvBias!.Value.Pointer);
            Assert.Equal(DType.BF16, weights.O.DType);
        }
        var head = DeviceHeadWeights.Of(layout, deviceBase);
        Assert.Equal(head.Embedding, head.Head);
        Assert.Equal(deviceBase + Host(layout.Head, TensorNames.FinalNorm), head.FinalNorm.Pointer);
    }

    private static IReadOnlyList<long> ShapeOf(LlamaConfig c, string name)
    {
        int h = c.HiddenSize;
        return name switch
        {
            _ when name == TensorNames.Embedding || name == TensorNames.LmHead => [c.VocabSize, h],
            _ when name.EndsWith("norm.weight", StringComparison.Ordinal) => [h],
            _ when name.EndsWith("q_proj.weight", StringComparison.Ordinal) => [c.QueryDim, h],
            _ when name.EndsWith("k_proj.weight", StringComparison.Ordinal) || name.EndsWith("v_proj.weight", StringComparison.Ordinal) => [c.KvDim, h],
            _ when name.EndsWith("q_proj.bias", StringComparison.Ordinal) => [c.QueryDim],
            _ when name.EndsWith("k_proj.bias", StringComparison.Ordinal) || name.EndsWith("v_proj.bias", StringComparison.Ordinal) => [c.KvDim],
            _ when name.EndsWith("o_proj.weight", StringComparison.Ordinal) => [h, c.QueryDim],
            _ when name.EndsWith("gate_proj.weight", StringComparison.Ordinal) || name.EndsWith("up_proj.weight", StringComparison.Ordinal) => [c.IntermediateSize, h],
            _ when name.EndsWith("down_proj.weight", StringComparison.Ordinal) => [h, c.IntermediateSize],
            _ => throw new ArgumentException(name),
        };
    }

    // cuBLAS's definition: C (m×n) = op(A) (m×k) · op(B) (k×n) + beta·C, every matrix column-major.
    private static void ColumnMajorGemm(GemmCall g, float[] a, float[] b, float[] c, float beta)
    {
        float A(int i, int l) => g.TransA == CublasOperation.T ? a[l + i * g.Lda] : a[i + l * g.Lda];
        float B(int l, int j) => g.TransB == CublasOperation.T ? b[j + l * g.Ldb] : b[l + j * g.Ldb];
        for (int i = 0; i < g.M; i++)
        {
            for (int j = 0; j < g.N; j++)
            {
                float sum = 0;
                for (int l = 0; l < g.K; l++) sum += A(i, l) * B(l, j);
                c[i + j * g.Ldc] = sum + beta * c[i + j * g.Ldc];
            }
        }
    }

    private static T[] Read<T>(byte[] bytes, int offset, int count) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(bytes.AsSpan(offset, count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>())).ToArray();

    // A 70-token prefill, a decode at position 2, a chunk of 3 starting at position 5; blocks handed out to the
    // decode first, then the prefill, then the chunk.
    private static Batch ThreeSegments(int blockSize)
    {
        var blocks = new TestBlocks(32, blockSize);
        var (a, b, c) = (new TestSequence(), new TestSequence(), new TestSequence());
        blocks.Reserve(b, 3);
        blocks.Reserve(a, 70);
        blocks.Reserve(c, 9);
        return new Batch([new BatchSegment(a.Blocks, 0, 70, 0, 1), new BatchSegment(b.Blocks, 2, 1, 0, 1), new BatchSegment(c.Blocks, 5, 3, 0, 1)]);
    }
}
