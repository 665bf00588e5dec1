using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using BlitzScale.Native.Engine;

namespace BlitzScale.Native.Compute.Cpu;

/// <summary>
/// Causal grouped-query attention of a batch over the paged KV cache. The batch's own keys and values
/// must already be in the cache; query head h reads KV head <c>h / (heads / kv_heads)</c>.
/// </summary>
internal sealed class Attention(int heads, int kvHeads, int headDim)
{
    private const long ParallelThreshold = 1 << 16;

    [ThreadStatic]
    private static float[]? t_scores;

    private readonly float _scale = 1.0f / MathF.Sqrt(headDim);

    /// <param name="qkv">(tokens, q_dim + 2·kv_dim) rows; the first q_dim columns are the rotated queries.</param>
    /// <param name="keys">The layer's key blocks.</param>
    /// <param name="values">The layer's value blocks.</param>
    /// <param name="cache">Addresses positions in blocks.</param>
    /// <param name="batch">Which sequence and position each token is.</param>
    /// <param name="output">(tokens, q_dim) attention output.</param>
    public void Run(float[] qkv, float[] keys, float[] values, KvCache cache, Batch batch, float[] output)
    {
        int qkvWidth = (heads + 2 * kvHeads) * headDim;
        var items = new (IReadOnlyList<int> Blocks, int Position, int Token)[batch.TokenCount];
        long work = 0;
        int t = 0;
        foreach (var segment in batch.Segments)
        {
            for (int i = 0; i < segment.Count; i++, t++)
            {
                items[t] = (segment.Blocks, segment.Start + i, t);
                work += (segment.Start + i + 1L) * heads * headDim;
            }
        }

        // Fully optimized at once, as MatMul's kernels are (see there): this loop is most of a long prompt's work.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void Head(int item)
        {
            var (blocks, position, token) = items[item / heads];
            int h = item % heads;
            int kvHead = h / (heads / kvHeads);
            var q = new ReadOnlySpan<float>(qkv, token * qkvWidth + h * headDim, headDim);
            var o = new Span<float>(output, token * heads * headDim + h * headDim, headDim);
            int length = position + 1;
            var scores = (t_scores is { } s && s.Length >= length ? s : t_scores = new float[Math.Max(length, 256)]).AsSpan(0, length);

            float max = float.NegativeInfinity;
            for (int p = 0; p < length; p++)
            {
                int slot = cache.SlotOffset(blocks, p) + kvHead * headDim;
                float score = TensorPrimitives.Dot(q, new ReadOnlySpan<float>(keys, slot, headDim)) * _scale;
                scores[p] = score;
                if (score > max) max = score;
            }
            float sum = 0;
            for (int p = 0; p < length; p++)
            {
                scores[p] = MathF.Exp(scores[p] - max);
                sum += scores[p];
            }
            o.Clear();
            for (int p = 0; p < length; p++)
            {
                int slot = cache.SlotOffset(blocks, p) + kvHead * headDim;
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(values, slot, headDim), scores[p] / sum, o, o);
            }
        }

        int count = items.Length * heads;
        if (work < ParallelThreshold)
        {
            for (int i = 0; i < count; i++) Head(i);
        }
        else
        {
            Parallel.For(0, count, Head);
        }
    }
}
