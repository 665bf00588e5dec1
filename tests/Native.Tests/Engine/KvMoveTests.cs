using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Tests.Engine;

/// <summary>
/// Moving a split sequence's keys and values of [0, k) from the instance that ran them to the one that ran [k, L), through
/// bytes and into other block ids, lets the second decode it whole with the logits of one instance that ran it all, bit for bit.
/// </summary>
public sealed class KvMoveTests(SyntheticModelFixture models) : IClassFixture<SyntheticModelFixture>
{
    private const int BlockSize = 4;
    private const int Blocks = 24;
    private static readonly int[] Prompt = [1, 17, 300, 42, 99, 7, 256, 12, 9];

    public static TheoryData<DType, int> Splits()
    {
        var data = new TheoryData<DType, int>();
        int layers = SyntheticShapes.Get("tiny").NumLayers;
        foreach (var dtype in new[] { DType.F32, DType.BF16 })
        {
            for (int k = 1; k < layers; k++) data.Add(dtype, k);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void A_sequence_split_at_k_whose_first_layers_move_decodes_whole_as_one_instance_would(DType dtype, int k)
    {
        var model = models.Model(dtype);
        var config = model.Engine.Config;
        int layers = config.NumLayers, vocab = config.VocabSize;
        var kv = new KvStoreShape(Blocks, BlockSize);
        using var whole = new CpuEngine(model.Image, kv);
        using var first = new CpuEngine(model.Image, kv);
        using var second = new CpuEngine(model.Image, kv);
        // Different block ids on each instance, out of order on the second: the move maps positions, not slots.
        List<int> wholeBlocks = [0, 1, 2, 3], firstBlocks = [5, 6, 7], secondBlocks = [9, 3, 20, 11];

        var expected = Prefill(whole, wholeBlocks, 0, layers, whole.Embed(Prompt));
        var hidden = first.Embed(Prompt);
        first.RunLayers(new Batch([new BatchSegment(firstBlocks, 0, Prompt.Length, 0, k)]), hidden);
        var actual = Prefill(second, secondBlocks, k, layers, HiddenStates.FromBytes(hidden.ToBytes()));
        BitAssert.Equal(expected, actual, "the split prompt's logits");

        var slice = new KvSlice(Prompt.Length, 0, k);
        var rows = new HiddenStates((int)slice.Rows, config.KvDim);
        first.ReadKv(firstBlocks, slice, rows.Data);
        second.WriteKv(secondBlocks, slice, HiddenStates.FromBytes(rows.ToBytes()).Data);

        int nextWhole = Sampler.ArgMax(expected), nextSecond = Sampler.ArgMax(actual);
        for (int position = Prompt.Length; position < Prompt.Length + 4; position++)
        {
            var wholeLogits = Decode(whole, wholeBlocks, position, nextWhole);
            var secondLogits = Decode(second, secondBlocks, position, nextSecond);
            BitAssert.Equal(wholeLogits, secondLogits, $"logits at position {position}");
            nextWhole = Sampler.ArgMax(wholeLogits);
            nextSecond = Sampler.ArgMax(secondLogits);
        }
        Assert.Equal(vocab, whole.Config.VocabSize);
    }

    [Fact]
    public void A_slice_read_back_after_a_write_is_what_was_written_in_its_layout()
    {
        var model = models.Model(DType.F32);
        var config = model.Engine.Config;
        using var engine = new CpuEngine(model.Image, new KvStoreShape(Blocks, BlockSize));
        var slice = new KvSlice(6, 1, 3);
        var written = Enumerable.Range(0, (int)slice.Floats(config)).Select(i => (float)i).ToArray();
        List<int> blocks = [4, 2];

        engine.WriteKv(blocks, slice, written);

        var read = new float[written.Length];
        engine.ReadKv(blocks, slice, read);
        Assert.Equal(written, read);
        // Layer 1's keys, position 5: block 2 (the second), slot 1; the layout's first rows are layer 1's keys in position order.
        int kvDim = config.KvDim;
        Assert.Equal(written.AsSpan(5 * kvDim, kvDim).ToArray(), engine.Kv.Keys(1).Slice((2 * BlockSize + 1) * kvDim, kvDim).ToArray());
        // Layer 2's values, position 0: after layer 1's keys and values and layer 2's keys.
        Assert.Equal(written.AsSpan(3 * 6 * kvDim, kvDim).ToArray(), engine.Kv.Values(2).Slice(4 * BlockSize * kvDim, kvDim).ToArray());
        // Layer 0 and the other blocks are untouched.
        Assert.False(engine.Kv.Keys(0).ContainsAnyExcept(0f));
    }

    [Theory]
    [InlineData(0, 0, 1, 2, "at least one position")]
    [InlineData(4, 1, 1, 2, "layers [1, 1) are not a range")]
    [InlineData(4, 0, 99, 2, "are not a range within the model's")]
    [InlineData(9, 0, 1, 2, "2 blocks of 4 positions cannot hold 9 positions")]
    [InlineData(4, 0, 1, 99, "block 99 is outside the store's 24")]
    public void A_slice_that_does_not_fit_is_refused_with_the_reason(int positions, int firstLayer, int endLayer, int secondBlock, string reason)
    {
        var model = models.Model(DType.F32);
        using var engine = new CpuEngine(model.Image, new KvStoreShape(Blocks, BlockSize));
        var slice = new KvSlice(positions, firstLayer, endLayer);
        int floats = positions < 1 || endLayer <= firstLayer || endLayer > engine.Config.NumLayers ? 1 : (int)slice.Floats(engine.Config);

        var read = Assert.Throws<ArgumentException>(() => engine.ReadKv([0, secondBlock], slice, new float[floats]));
        Assert.Contains(reason, read.Message);
        var write = Assert.Throws<ArgumentException>(() => engine.WriteKv([0, secondBlock], slice, new float[floats]));
        Assert.Contains(reason, write.Message);
    }

    [Fact]
    public void A_buffer_of_the_wrong_length_is_refused_with_both_lengths()
    {
        var model = models.Model(DType.F32);
        using var engine = new CpuEngine(model.Image, new KvStoreShape(Blocks, BlockSize));
        var slice = new KvSlice(3, 0, 1);
        long floats = slice.Floats(engine.Config);

        var error = Assert.Throws<ArgumentException>(() => engine.ReadKv([0], slice, new float[floats + 1]));

        Assert.Contains($"expected {floats} floats for 3 positions of layers [0, 1), found {floats + 1}", error.Message);
    }

    [Fact]
    public void Runs_follow_the_blocks_in_position_order()
    {
        var runs = new KvSlice(10, 0, 1).Runs([7, 2, 5], 4).ToArray();

        Assert.Equal([(0, 28L, 4), (4, 8L, 4), (8, 20L, 2)], runs);
    }

    private static float[] Prefill(CpuEngine engine, List<int> blocks, int firstLayer, int endLayer, HiddenStates hidden)
    {
        var batch = new Batch([new BatchSegment(blocks, 0, Prompt.Length, firstLayer, endLayer)]);
        engine.RunLayers(batch, hidden);
        return engine.Head(batch, hidden);
    }

    private static float[] Decode(CpuEngine engine, List<int> blocks, int position, int token)
    {
        var hidden = engine.Embed([token]);
        var batch = new Batch([new BatchSegment(blocks, position, 1, 0, engine.Config.NumLayers)]);
        engine.RunLayers(batch, hidden);
        return engine.Head(batch, hidden);
    }
}
