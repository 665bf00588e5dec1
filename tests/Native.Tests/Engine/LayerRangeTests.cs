using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Tests.Engine;

/// <summary>
/// Each segment of a batch runs its own layer range: a batch mixing ranges equals each segment run alone, bit for bit,
/// and a range the engine cannot run is refused before anything runs.
/// </summary>
public sealed class LayerRangeTests(SyntheticModelFixture models) : IClassFixture<SyntheticModelFixture>
{
    private const int BlockSize = 4;
    private const int Blocks = 32;

    public static TheoryData<DType, int> Splits()
    {
        var data = new TheoryData<DType, int>();
        foreach (var dtype in new[] { DType.F32, DType.BF16 })
        {
            foreach (int k in new[] { 1, 2, 3 }) data.Add(dtype, k);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void A_batch_mixing_layer_ranges_equals_each_segment_run_alone_bit_for_bit(DType dtype, int k)
    {
        var model = models.Model(dtype);
        int layers = model.Engine.Config.NumLayers, vocab = model.Engine.Config.VocabSize;
        var blocks = new TestBlocks(Blocks, BlockSize);
        using var together = new CpuEngine(model.Image, blocks.Shape);
        using var alone = new CpuEngine(model.Image, blocks.Shape);
        var sequences = Enumerable.Range(0, 5).Select(_ => new TestSequence()).ToArray();
        int[][] prompts = [[1, 17, 300, 42, 99], [1, 5, 88], [1, 400, 401, 12, 9, 33], [1, 250], [1, 7, 7, 7]];

        // Both engines cache every prompt alone over all layers, so both hold the same context.
        for (int s = 0; s < sequences.Length; s++)
        {
            blocks.Reserve(sequences[s], prompts[s].Length + 4);
            foreach (var engine in new[] { together, alone })
            {
                var batch = new Batch([sequences[s].Next(prompts[s].Length, 0, layers)]);
                engine.RunLayers(batch, engine.Embed(prompts[s]));
            }
            sequences[s].Length = prompts[s].Length;
        }

        // A LiveOld's step: its own decodes over [0, L), decodes handed over after [0, k) run [k, L); a LiveNew's
        // chunk over its prefix [0, k); a segment that runs nothing. Ranges interleave in the batch.
        BatchSegment[] segments =
        [
            sequences[0].Next(1, 0, layers),
            sequences[1].Next(1, k, layers),
            sequences[2].Next(3, 0, k),
            sequences[3].Next(1, 0, layers),
            sequences[4].Next(2, k, k),
        ];
        var mixed = new Batch(segments);
        var input = new HiddenStates(mixed.TokenCount, model.Engine.Config.HiddenSize);
        var random = new SeededRandom(77);
        for (int i = 0; i < input.Data.Length; i++) input.Data[i] = random.NextSingle() - 0.5f;

        var hidden = HiddenStates.FromBytes(input.ToBytes());
        together.RunLayers(mixed, hidden);
        float[] logits = together.Head(mixed, hidden);

        int row = 0;
        for (int s = 0; s < segments.Length; s++)
        {
            int count = segments[s].Count, width = input.Width;
            var rows = new HiddenStates(count, width);
            input.Data.AsSpan(row * width, count * width).CopyTo(rows.Data);
            var single = new Batch([segments[s]]);
            alone.RunLayers(single, rows);
            BitAssert.Equal(rows.Data, hidden.Data.AsSpan(row * width, count * width), $"hidden states of segment {s}");
            BitAssert.Equal(alone.Head(single, rows), logits.AsSpan(s * vocab, vocab), $"logits of segment {s}");
            if (segments[s].FirstLayer == segments[s].EndLayer)
                BitAssert.Equal(input.Data.AsSpan(row * width, count * width), rows.Data, $"segment {s} runs no layer, its rows stay as they were");
            row += count;
        }
        for (int layer = 0; layer < layers; layer++)
        {
            BitAssert.Equal(alone.Kv.Keys(layer), together.Kv.Keys(layer), $"keys of layer {layer}");
            BitAssert.Equal(alone.Kv.Values(layer), together.Kv.Values(layer), $"values of layer {layer}");
        }
    }

    [Fact]
    public void A_loaded_prefix_runs_its_layers_and_refuses_a_range_beyond_it_naming_the_segment()
    {
        var config = models.Config;
        // The embedding and layers 0 and 1: a LiveNew that has received two layers.
        using var image = models.PartialImage(DType.F32, [0, 1, 2]);
        using var engine = new CpuEngine(image, new KvStoreShape(Blocks, BlockSize));
        Assert.Equal(2, engine.LoadedLayers);
        int[] tokens = [1, 300, 301, 302, 9];
        var hidden = engine.Embed(tokens);
        var before = hidden.ToBytes();

        var error = Assert.Throws<ArgumentException>(() => engine.RunLayers(new Batch(
        [
            new BatchSegment([0], 0, 2, 0, 2),
            new BatchSegment([1], 0, 3, 0, 3),
        ]), hidden));
        Assert.Contains("segment 1 runs layers [0, 3)", error.Message);
        Assert.Contains($"only layers [0, 2) of {config.NumLayers} are loaded", error.Message);
        // Refused before any segment ran.
        Assert.Equal(before, hidden.ToBytes());

        error = Assert.Throws<ArgumentException>(() => engine.RunLayers(Batch.Single([0, 1], 0, 5, 0, config.NumLayers + 1), hidden));
        Assert.Contains($"segment 0 runs layers [0, {config.NumLayers + 1}), beyond the model's {config.NumLayers} layers", error.Message);

        engine.RunLayers(Batch.Single([0, 1], 0, 5, 0, 2), hidden);
        Assert.NotEqual(before, hidden.ToBytes());
    }

    [Fact]
    public void A_loaded_suffix_runs_the_tail_and_head_bit_for_bit_as_the_whole_image_and_refuses_the_layers_before_it()
    {
        var model = models.Model(DType.F32);
        var config = model.Engine.Config;
        int layers = config.NumLayers, k = layers - 2;
        // The head and the last two layers, landed last first; the embedding has not.
        using var image = models.PartialImage(DType.F32, [layers + 1, layers, layers - 1]);
        using var tail = new CpuEngine(image, new KvStoreShape(Blocks, BlockSize));
        using var whole = new CpuEngine(model.Image, new KvStoreShape(Blocks, BlockSize));
        Assert.Equal((0, k), (tail.LoadedLayers, tail.LoadedSuffixFrom));
        Assert.Equal((layers, 0), (whole.LoadedLayers, whole.LoadedSuffixFrom));

        int[] tokens = [1, 300, 301, 302, 9];
        var hidden = whole.Embed(tokens);
        whole.RunLayers(Batch.Single([0, 1], 0, tokens.Length, 0, k), hidden);
        var handed = HiddenStates.FromBytes(hidden.ToBytes());
        var rest = Batch.Single([0, 1], 0, tokens.Length, k, layers);
        whole.RunLayers(rest, hidden);
        tail.RunLayers(rest, handed);
        BitAssert.Equal(hidden.Data, handed.Data, "hidden states after the tail");
        BitAssert.Equal(whole.Head(rest, hidden), tail.Head(rest, handed), "logits");

        var error = Assert.Throws<ArgumentException>(() => tail.RunLayers(Batch.Single([2, 3], 0, tokens.Length, k - 1, layers), handed));
        Assert.Contains($"segment 0 runs layers [{k - 1}, {layers}), but only layers [{k}, {layers}) of {layers} are loaded", error.Message);
        // Without the head, no suffix counts: a tail could not be sampled.
        using var headless = models.PartialImage(DType.F32, [layers, layers - 1]);
        Assert.Equal(layers, headless.LoadedLayerSuffix);
    }

    [Fact]
    public void Blocks_that_do_not_cover_the_segment_or_lie_outside_the_store_are_refused()
    {
        var model = models.Model(DType.F32);
        using var engine = new CpuEngine(model.Image, new KvStoreShape(4, BlockSize));
        int layers = model.Engine.Config.NumLayers;
        var hidden = engine.Embed([1, 2, 3, 4, 5]);

        var error = Assert.Throws<ArgumentException>(() => engine.RunLayers(Batch.Single([0], 0, 5, 0, layers), hidden));
        Assert.Contains("segment 0 writes positions up to 5, but its 1 KV blocks of 4 positions hold 4", error.Message);
        error = Assert.Throws<ArgumentException>(() => engine.RunLayers(Batch.Single([0, 4], 0, 5, 0, layers), hidden));
        Assert.Contains("KV block id 4 is outside the engine's store of 4 blocks", error.Message);
        error = Assert.Throws<ArgumentException>(() => engine.RunLayers(Batch.Single([0, 1], 0, 4, 0, layers), hidden));
        Assert.Contains("hidden states are 5×", error.Message);
    }

    [Fact]
    public void A_segment_with_a_reversed_or_negative_range_is_not_a_batch()
    {
        Assert.Contains("segment 0 has the layer range [2, 1)", Assert.Throws<ArgumentException>(() => Batch.Single([0], 0, 1, 2, 1)).Message);
        Assert.Contains("segment 0 has the layer range [-1, 1)", Assert.Throws<ArgumentException>(() => Batch.Single([0], 0, 1, -1, 1)).Message);
    }

    [Fact]
    public void With_layers_gives_every_segment_the_range_and_keeps_the_rest()
    {
        var batch = new Batch([new BatchSegment([3, 4], 5, 2, 0, 4), new BatchSegment([7], 0, 1, 2, 4)]);
        var moved = batch.WithLayers(1, 3);
        Assert.Equal(batch.TokenCount, moved.TokenCount);
        for (int s = 0; s < batch.Segments.Count; s++)
        {
            Assert.Same(batch.Segments[s].Blocks, moved.Segments[s].Blocks);
            Assert.Equal((batch.Segments[s].Start, batch.Segments[s].Count, 1, 3),
                (moved.Segments[s].Start, moved.Segments[s].Count, moved.Segments[s].FirstLayer, moved.Segments[s].EndLayer));
        }
    }
}
