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
        var pair = new CachePair(models.Model(dtype));
        var decoders = Enumerable.Range(0, 3).Select(_ => new KvSequence()).ToArray();
        int[] next = decoders.Select((s, i) => pair.PrefillBoth(s, Tokens(3 + 4 * i, seed: (ulong)i))).ToArray();

        // 40 tokens: enough attention work for the parallel path, and MatMul groups of 4 plus a remainder.
        var prefill = new KvSequence();
        int[] prompt = Tokens(40, seed: 99);
        BatchSegment[] segments =
        [
            pair.Segment(decoders[0], 1),
            pair.Segment(prefill, prompt.Length),
            pair.Segment(decoders[1], 1),
            pair.Segment(decoders[2], 1),
        ];
        int[][] tokens = [[next[0]], prompt, [next[1]], [next[2]]];

        pair.AssertTogetherEqualsAlone(segments, tokens);
    }

    [Theory]
    [MemberData(nameof(DecodeBatches))]
    public void A_decode_batch_equals_each_sequence_decoded_alone(DType dtype, int n)
    {
        var pair = new CachePair(models.Model(dtype));
        var sequences = Enumerable.Range(0, n).Select(_ => new KvSequence()).ToArray();
        int[] next = sequences.Select((s, i) => pair.PrefillBoth(s, Tokens(1 + i * 5 % 7, seed: 10 + (ulong)i))).ToArray();

        for (int step = 0; step < 2; step++)
        {
            var segments = sequences.Select(s => pair.Segment(s, 1)).ToArray();
            var logits = pair.AssertTogetherEqualsAlone(segments, next.Select(t => new[] { t }).ToArray());
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

    /// <summary>Two caches over the same block tables: one for batches run together, one for segments run alone.</summary>
    private sealed class CachePair(LocalModel model)
    {
        private readonly KvBlockAllocator _allocator = new(Blocks, BlockSize);
        private readonly KvCache _together = new(model.Engine.Config, 0, model.Engine.Config.NumLayers, Blocks, BlockSize);
        private readonly KvCache _alone = new(model.Engine.Config, 0, model.Engine.Config.NumLayers, Blocks, BlockSize);

        public int Vocab => model.Engine.Config.VocabSize;

        /// <summary>The next segment of <paramref name="sequence"/>, its blocks reserved.</summary>
        public BatchSegment Segment(KvSequence sequence, int count)
        {
            Assert.True(_allocator.TryReserve(sequence, sequence.Length + count));
            return new BatchSegment(sequence, sequence.Length, count);
        }

        /// <summary>Prefills <paramref name="sequence"/> alone into both caches; returns its greedy next token.</summary>
        public int PrefillBoth(KvSequence sequence, int[] prompt)
        {
            var batch = new Batch([Segment(sequence, prompt.Length)]);
            var first = Step(batch, prompt, _together);
            BitAssert.Equal(first, Step(batch, prompt, _alone), "prefill");
            sequence.Length += prompt.Length;
            return Sampler.ArgMax(first);
        }

        /// <summary>Runs the segments as one batch and each as its own batch; returns the batch's logits.</summary>
        public float[] AssertTogetherEqualsAlone(BatchSegment[] segments, int[][] tokens)
        {
            var together = Step(new Batch(segments), tokens.SelectMany(t => t).ToArray(), _together);
            Assert.Equal(segments.Length * Vocab, together.Length);
            for (int s = 0; s < segments.Length; s++)
            {
                var alone = Step(new Batch([segments[s]]), tokens[s], _alone);
                BitAssert.Equal(alone, together.AsSpan(s * Vocab, Vocab), $"logits of segment {s} of {segments.Length}");
            }
            for (int layer = 0; layer < _alone.EndLayer; layer++)
            {
                BitAssert.Equal(_alone.Keys(layer), _together.Keys(layer), $"keys of layer {layer}");
                BitAssert.Equal(_alone.Values(layer), _together.Values(layer), $"values of layer {layer}");
            }
            foreach (var segment in segments) segment.Sequence.Length += segment.Count;
            return together;
        }

        private float[] Step(Batch batch, int[] tokens, KvCache cache)
        {
            var hidden = model.Engine.Embed(tokens);
            model.Engine.RunLayers(0, cache.EndLayer, batch, hidden, cache);
            return model.Engine.Head(batch, hidden);
        }
    }
}
