using System.Buffers.Binary;
using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Tests.Compute;

/// <summary>MatMul against a double-precision reference, over every tail of its 16/8/scalar and 4/1-token loops.</summary>
public sealed unsafe class MatMulTests
{
    private static readonly int[] Ks = [1, 7, 8, 15, 16, 17, 33, 100];
    private static readonly int[] Ns = [1, 3, 64];
    private static readonly int[] Ts = [1, 3, 4, 5, 9, 40];

    public static TheoryData<DType> DTypes => new(DType.F32, DType.F16, DType.BF16);

    [Theory]
    [MemberData(nameof(DTypes))]
    public void Every_size_matches_the_double_reference_on_the_stored_weights(DType dtype)
    {
        ulong seed = 1;
        foreach (int k in Ks)
        {
            foreach (int n in Ns)
            {
                foreach (int t in Ts)
                {
                    var (stored, rounded) = Weights(dtype, n, k, seed++);
                    var x = Values(t * k, seed++);
                    var output = Run(stored, dtype, n, k, x, t);
                    for (int token = 0; token < t; token++)
                    {
                        for (int row = 0; row < n; row++)
                        {
                            double expected = 0, magnitude = 0;
                            for (int i = 0; i < k; i++)
                            {
                                double product = (double)rounded[row * k + i] * x[token * k + i];
                                expected += product;
                                magnitude += Math.Abs(product);
                            }
                            double actual = output[token * n + row];
                            Assert.True(Math.Abs(actual - expected) <= 1e-5 * magnitude,
                                $"{dtype} K={k} N={n} T={t}: out[{token}, {row}] = {actual:R}, reference {expected:R}");
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(DTypes))]
    public void Above_the_parallel_threshold_a_batch_equals_each_token_alone_bit_for_bit(DType dtype)
    {
        const int t = 6, n = 300, k = 523; // 6·300·523 multiply-adds: parallel; K = 32·16 + 8 + 3 hits every tail
        var (stored, _) = Weights(dtype, n, k, seed: 7);
        var x = Values(t * k, seed: 8);
        var batch = Run(stored, dtype, n, k, x, t);
        for (int token = 0; token < t; token++)
        {
            var alone = Run(stored, dtype, n, k, x.AsSpan(token * k, k).ToArray(), 1);
            BitAssert.Equal(alone, batch.AsSpan(token * n, n), $"{dtype} token {token}");
        }
        Assert.Equal(batch, Run(stored, dtype, n, k, x, t)); // and run to run
    }

    private static float[] Run(byte[] weights, DType dtype, int n, int k, float[] x, int tokens)
    {
        var output = new float[tokens * n];
        output.AsSpan().Fill(float.NaN); // every element must be written
        fixed (byte* w = weights)
        fixed (float* px = x, po = output)
            MatMul.Run(px, tokens, new WeightMatrix(w, dtype, n, k), po);
        return output;
    }

    private static float[] Values(int count, ulong seed)
    {
        var random = new SeededRandom(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = random.NextSingle() * 2 - 1;
        return values;
    }

    /// <summary>Random weights as stored in <paramref name="dtype"/>, and the f32 values those bytes hold.</summary>
    private static (byte[] Stored, float[] Rounded) Weights(DType dtype, int n, int k, ulong seed)
    {
        var values = Values(n * k, seed ^ 0xABCDEF);
        var stored = new byte[n * k * dtype.Size()];
        var rounded = new float[n * k];
        for (int i = 0; i < values.Length; i++)
        {
            switch (dtype)
            {
                case DType.F32:
                    BinaryPrimitives.WriteSingleLittleEndian(stored.AsSpan(i * 4), values[i]);
                    rounded[i] = values[i];
                    break;
                case DType.F16:
                    BinaryPrimitives.WriteHalfLittleEndian(stored.AsSpan(i * 2), (Half)values[i]);
                    rounded[i] = (float)(Half)values[i];
                    break;
                case DType.BF16:
                    ushort bf16 = Dtype.SingleToBf16(values[i]);
                    BinaryPrimitives.WriteUInt16LittleEndian(stored.AsSpan(i * 2), bf16);
                    rounded[i] = BitConverter.Int32BitsToSingle(bf16 << 16);
                    break;
            }
        }
        return (stored, rounded);
    }
}
