using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Tests.Engine;

/// <summary>A sequence's logits and KV entries do not depend on which other sequences share its batch.</summary>
public sealed class BatchInvarianceTests(SyntheticModelFixture models) : IClassFixture<SyntheticModelFixture>
{
    private const int BlockSize = 4;
    private const int Blocks = 64;

    public static TheoryData<DType> DTypes => new(DType.F32, DType.F16, DType.BF16);

    public static TheoryData<DType, int> DecodeBatches()
    {
        var data = new TheoryData<DType, int>();
        foreach (var dtype in new[] { DType.F32, DType.BF16 })
        {
            foreach (int n in new[] { 1, 4, 5, 9 }) data.Add(dtype, n);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(DTypes))]
    public void A_prefill_mixed_with_decodes_equals_each_segment_run_alone(DType dtype)
    {
        using var pair = new EnginePair(models.Model(dtype));
        var decoders = Enumerable.Range(0, 3).Select(_ => new TestSequence()).ToArray();
        int[] next = decoders.Select((s, i) => pair.PrefillBoth(s, Tokens(3 + 4 * i, seed: (ulong)i))).ToArray();

        // 40 tokens: enough attention work for the parallel path, and MatMul groups of 4 plus a remainder.
        var prefill = new TestSequence();
        int[] prompt = Tokens(40, seed: 99);
        BatchSegment[] segments =
        [
            pair.Segment(decoders[0], 1),
            pair.Segment(prefill, prompt.Length),
            pair.Segment(decoders[1], 1),
            pair.Segment(decoders[2], 1),
        ];
        int[][] tokens = [[next[0]], prompt, [next[1]], [next[2]]];

        pair.AssertTogetherEqualsAlone([decoders[0], prefill, decoders[1], decoders[2]], segments, tokens);
    }

    [Theory]
    [MemberData(nameof(DecodeBatches))]
    public void A_decode_batch_equals_each_sequence_decoded_alone(DType dtype, int n)
    {
        using var pair = new EnginePair(models.Model(dtype));
        var sequences = Enumerable.Range(0, n).Select(_ => new TestSequence()).ToArray();
        int[] next = sequences.Select((s, i) => pair.PrefillBoth(s, Tokens(1 + i * 5 % 7, seed: 10 + (ulong)i))).ToArray();

        for (int step = 0; step < 2; step++)
        {
            var segments = sequences.Select(s => pair.Segment(s, 1)).ToArray();
            var logits = pair.AssertTogetherEqualsAlone(sequences, segments, next.Select(t => new[] { t }).ToArray());
            next = Enumerable.Range(0, n).Select(i => Sampler.ArgMax(logits.AsSpan(i * pair.Vocab, pair.Vocab))).ToArray();
        }
    }

    private static int[] Tokens(int count, ulong seed)
    {
        var random = new SeededRandom(seed);
        var tokens = new int[count];
        tokens[0] = 1;
        for (int i = 1; i < count; i++) tokens[i] = 3 + (int)(random.NextUInt64() % 500);
        return tokens;
    }

    /// <summary>Two engines over the same image and block tables: one for batches run together, one for segments run alone.</summary>
    private sealed class EnginePair(LocalModel model) : IDisposable
    {
        private readonly TestBlocks _blocks = new(Blocks, BlockSize);
        private readonly CpuEngine _together = new(model.Image, new KvStoreShape(Blocks, BlockSize));
        private readonly CpuEngine _alone = new(model.Image, new KvStoreShape(Blocks, BlockSize));

        public int Vocab => model.Engine.Config.VocabSize;

        private int Layers => model.Engine.Config.NumLayers;

        /// <summary>The next segment of <paramref name="sequence"/>, its blocks reserved.</summary>
        public BatchSegment Segment(TestSequence sequence, int count)
        {
            _blocks.Reserve(sequence, sequence.Length + count);
            return sequence.Next(count, 0, Layers);
        }

        /// <summary>Prefills <paramref name="sequence"/> alone on both engines; returns its greedy next token.</summary>
        public int PrefillBoth(TestSequence sequence, int[] prompt)
        {
            var batch = new Batch([Segment(sequence, prompt.Length)]);
            var first = Step(batch, prompt, _together);
            BitAssert.Equal(first, Step(batch, prompt, _alone), "prefill");
            sequence.Length += prompt.Length;
            return Sampler.ArgMax(first);
        }

        /// <summary>Runs the segments (of <paramref name="sequences"/>, in order) as one batch and each as its own batch; returns the batch's logits.</summary>
        public float[] AssertTogetherEqualsAlone(TestSequence[] sequences, BatchSegment[] segments, int[][] tokens)
        {
            var together = Step(new Batch(segments), tokens.SelectMany(t => t).ToArray(), _together);
            Assert.Equal(segments.Length * Vocab, together.Length);
            for (int s = 0; s < segments.Length; s++)
            {
                var alone = Step(new Batch([segments[s]]), tokens[s], _alone);
                BitAssert.Equal(alone, together.AsSpan(s * Vocab, Vocab), $"logits of segment {s} of {segments.Length}");
            }
            for (int layer = 0; layer < Layers; layer++)
            {
                BitAssert.Equal(_alone.Kv.Keys(layer), _together.Kv.Keys(layer), $"keys of layer {layer}");
                BitAssert.Equal(_alone.Kv.Values(layer), _together.Kv.Values(layer), $"values of layer {layer}");
            }
            for (int s = 0; s < segments.Length; s++) sequences[s].Length += segments[s].Count;
            return together;
        }

        public void Dispose()
        {
            _together.Dispose();
            _alone.Dispose();
        }

        private static float[] Step(Batch batch, int[] tokens, CpuEngine engine)
        {
            var hidden = engine.Embed(tokens);
            engine.RunLayers(batch, hidden);
            return engine.Head(batch, hidden);
        }
    }
}
