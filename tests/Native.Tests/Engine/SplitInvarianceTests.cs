using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Tests.Engine;

/// <summary>
/// The defining property: layers [0, k) on one instance and [k, L) on another, with the hidden states shipped
/// as bytes between them, give the same logits and KV cache, bit for bit, as one instance running all layers.
/// </summary>
public sealed class SplitInvarianceTests(SyntheticModelFixture models) : IClassFixture<SyntheticModelFixture>
{
    private const int BlockSize = 4;
    private const int Blocks = 24;
    private const int DecodeSteps = 4;

    // Three sequences of different lengths; BOS first.
    private static readonly int[][] Prompts = [[1, 17, 300, 42, 99, 7, 256], [1, 5, 88], [1, 400, 401, 12, 9]];

    public static TheoryData<DType, int> Splits()
    {
        var data = new TheoryData<DType, int>();
        int layers = SyntheticShapes.Get("tiny").NumLayers;
        foreach (var dtype in new[] { DType.F32, DType.BF16 })
        {
            for (int k = 0; k <= layers; k++) data.Add(dtype, k);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Splits))]
    public void Layers_split_at_k_across_two_instances_equal_one_instance_bit_for_bit(DType dtype, int k)
    {
        var model = models.Model(dtype);
        var config = model.Engine.Config;
        int layers = config.NumLayers, vocab = config.VocabSize;
        var kv = new KvStoreShape(Blocks, BlockSize);
        var blocks = new TestBlocks(Blocks, BlockSize);
        TestSequence[] sequences = [new(), new(), new()];

        using var whole = new CpuEngine(model.Image, kv);
        var expected = Run(sequences, blocks, vocab, layers, (batch, tokens) =>
        {
            var hidden = whole.Embed(tokens);
            whole.RunLayers(batch, hidden);
            return whole.Head(batch, hidden);
        });

        // Instance A received the embedding and layers [0, k): a loaded prefix. B received layers [k, L), the head, and
        // the embedding only when tied; its layers [0, k) (and the untied embedding) are marked present but hold NaN bytes,
        // so that B counts as holding every layer (as a LiveOld instance does) while any read of a blob it never received
        // poisons every logit.
        using var imageA = models.PartialImage(dtype, Enumerable.Range(0, k + 1));
        using var imageB = models.PartialImage(dtype, Enumerable.Range(k + 1, layers - k + 1).Concat(config.TieWordEmbeddings ? [0] : []));
        foreach (int blob in Enumerable.Range(0, k + 1).Where(b => !imageB.IsLoaded(b))) Poison(imageB, blob);
        using var first = new CpuEngine(imageA, kv);
        using var second = new CpuEngine(imageB, kv);
        Assert.Equal(k, first.LoadedLayers);
        Assert.Equal(layers, second.LoadedLayers);
        // k = 0 and k = L give one instance the empty range: the engine must accept it.
        var actual = Run(sequences, blocks, vocab, layers, (batch, tokens) =>
        {
            var hidden = first.Embed(tokens);
            first.RunLayers(batch.WithLayers(0, k), hidden);
            var shipped = HiddenStates.FromBytes(hidden.ToBytes());
            second.RunLayers(batch.WithLayers(k, layers), shipped);
            return second.Head(batch, shipped);
        });

        Assert.Equal(2 + DecodeSteps, expected.Count);
        for (int step = 0; step < expected.Count; step++)
        {
            BitAssert.Equal(expected[step], actual[step], $"logits of step {step}");
            for (int s = 0; s < expected[step].Length / vocab; s++)
            {
                Assert.Equal(Sampler.ArgMax(expected[step].AsSpan(s * vocab, vocab)),
                    Sampler.ArgMax(actual[step].AsSpan(s * vocab, vocab)));
            }
        }

        for (int layer = 0; layer < layers; layer++)
        {
            var part = layer < k ? first.Kv : second.Kv;
            var other = layer < k ? second.Kv : first.Kv;
            BitAssert.Equal(whole.Kv.Keys(layer), part.Keys(layer), $"keys of layer {layer}");
            BitAssert.Equal(whole.Kv.Values(layer), part.Values(layer), $"values of layer {layer}");
            AssertEveryPositionWritten(whole.Kv, layer, sequences, [7 + DecodeSteps, 3 + DecodeSteps, 5 + DecodeSteps]);
            // The instance that does not run a layer leaves its store of that layer untouched.
            Assert.False(other.Keys(layer).ContainsAnyExcept(0f), $"layer {layer} was written by the instance that does not run it");
        }
    }

    /// <summary>
    /// Prefills sequence 0 alone (7 tokens), then sequences 1 and 2 together, then decodes all three greedily
    /// in batches of three one-token segments. Returns each step's logits.
    /// </summary>
    private static List<float[]> Run(TestSequence[] sequences, TestBlocks blocks, int vocab, int layers, Func<Batch, int[], float[]> step)
    {
        var logitsPerStep = new List<float[]>();
        var lengths = new int[sequences.Length];
        var next = new int[sequences.Length];

        void Step(int[] which, int[][] tokens)
        {
            var segments = new BatchSegment[which.Length];
            for (int i = 0; i < which.Length; i++)
            {
                var sequence = sequences[which[i]];
                // The first run allocates, the second finds the same block table already there.
                blocks.Reserve(sequence, lengths[which[i]] + tokens[i].Length);
                segments[i] = new BatchSegment(sequence.Blocks, lengths[which[i]], tokens[i].Length, 0, layers);
            }
            var logits = step(new Batch(segments), tokens.SelectMany(t => t).ToArray());
            Assert.Equal(which.Length * vocab, logits.Length);
            for (int i = 0; i < which.Length; i++)
            {
                lengths[which[i]] += tokens[i].Length;
                next[which[i]] = Sampler.ArgMax(logits.AsSpan(i * vocab, vocab));
            }
            logitsPerStep.Add(logits);
        }

        Step([0], [Prompts[0]]);
        Step([1, 2], [Prompts[1], Prompts[2]]);
        for (int d = 0; d < DecodeSteps; d++)
            Step([0, 1, 2], [[next[0]], [next[1]], [next[2]]]);
        return logitsPerStep;
    }

    // Marks a blob present with all bytes 0xFF: NaN in f32, bf16 and f16 alike.
    private static void Poison(ParameterImage image, int blob)
    {
        image.BlobBytes(blob).Fill(0xFF);
        image.MarkLoaded(blob);
    }

    private static void AssertEveryPositionWritten(KvCache cache, int layer, TestSequence[] sequences, int[] lengths)
    {
        for (int s = 0; s < sequences.Length; s++)
        {
            for (int p = 0; p < lengths[s]; p++)
            {
                var key = cache.Keys(layer).Slice(cache.SlotOffset(sequences[s].Blocks, p), cache.KvDim);
                Assert.True(key.ContainsAnyExcept(0f), $"layer {layer}: key of sequence {s} position {p} was never written");
            }
        }
    }
}
