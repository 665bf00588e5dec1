using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Compute.Cpu;

/// <summary>
/// <c>out (T, N) = x (T, K) @ W (N, K)ᵀ</c> with W in its stored dtype, computed in f32, spread over the cores.
/// </summary>
/// <remarks>
/// Work is split by output rows, so each output element is computed by exactly one dot product whose
/// order of additions depends only on K: results are bit-identical whatever the batch, the split or the
/// number of threads. Tokens are taken four at a time so that each weight vector loaded (and widened
/// from bf16) is used four times while in registers; for a decode batch of one the kernel streams the
/// weights once, which is what bounds it.
/// </remarks>
internal static unsafe class MatMul
{
    // Below this many multiply-adds a parallel loop costs more than it saves.
    private const long ParallelThreshold = 1 << 17;
    // Tokens handled per pass over a block of rows: keeps that slice of x in L2.
    private const int TokenTile = 32;

    [ThreadStatic]
    private static float[]? t_widened;

    public static void Run(float* x, int tokens, WeightMatrix w, float* output)
    {
        int n = w.Rows;
        if ((long)tokens * n * w.Cols < ParallelThreshold)
        {
            Rows(x, tokens, w, output, 0, n);
            return;
        }
        int chunks = Math.Min(n, Environment.ProcessorCount * 8);
        int rowsPerChunk = (n + chunks - 1) / chunks;
        chunks = (n + rowsPerChunk - 1) / rowsPerChunk;
        var state = new Job(x, tokens, w, output, rowsPerChunk);
        Parallel.For(0, chunks, state.RunChunk);
    }

    private sealed class Job(float* x, int tokens, WeightMatrix w, float* output, int rowsPerChunk)
    {
        public void RunChunk(int chunk)
        {
            int first = chunk * rowsPerChunk;
            Rows(x, tokens, w, output, first, Math.Min(w.Rows, first + rowsPerChunk));
        }
    }

    // Kernels are compiled fully optimized at once: tiered compilation would run them unoptimized until a
    // background recompile, which a machine whose cores are all busy computing delays for seconds.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows(float* x, int tokens, WeightMatrix w, float* output, int firstRow, int endRow)
    {
        int k = w.Cols, n = w.Rows;
        float[]? widened = null;
        if (w.DType == DType.F16)
        {
            widened = t_widened is { } buffer && buffer.Length >= k ? buffer : t_widened = new float[k];
        }
        for (int t0 = 0; t0 < tokens; t0 += TokenTile)
        {
            int tEnd = Math.Min(tokens, t0 + TokenTile);
            for (int row = firstRow; row < endRow; row++)
            {
                if (widened is not null)
                {
                    // f16 has no cheap in-register widening here: widen the row once per tile.
                    w.ReadRow(row, widened);
                    fixed (float* wf = widened)
                        Tile<F32Loader>((byte*)wf, x, k, n, row, t0, tEnd, output);
                }
                else if (w.DType == DType.BF16)
                {
                    Tile<Bf16Loader>(w.Row(row), x, k, n, row, t0, tEnd, output);
                }
                else
                {
                    Tile<F32Loader>(w.Row(row), x, k, n, row, t0, tEnd, output);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TLoader>(byte* wRow, float* x, int k, int n, int row, int t0, int tEnd, float* output)
        where TLoader : IWeightLoader
    {
        int t = t0;
        for (; t + 4 <= tEnd; t += 4)
            Dot4<TLoader>(wRow, x + (long)t * k, k, output + (long)t * n + row, n);
        for (; t < tEnd; t++)
            output[(long)t * n + row] = Dot1<TLoader>(wRow, x + (long)t * k, k);
    }

    // Both dot kernels run the same sequence of operations per token: two accumulators over alternating
    // blocks of 8, the same horizontal sum, the same scalar tail. That is what makes results independent
    // of how tokens are grouped.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot1<TLoader>(byte* w, float* x, int k) where TLoader : IWeightLoader
    {
        var a0 = Vector256<float>.Zero;
        var a1 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            a0 = Fma(TLoader.Load(w, i), Vector256.Load(x + i), a0);
            a1 = Fma(TLoader.Load(w, i + 8), Vector256.Load(x + i + 8), a1);
        }
        if (i + 8 <= k)
        {
            a0 = Fma(TLoader.Load(w, i), Vector256.Load(x + i), a0);
            i += 8;
        }
        float sum = Vector256.Sum(a0 + a1);
        for (; i < k; i++)
            sum += TLoader.Scalar(w, i) * x[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4<TLoader>(byte* w, float* x, int k, float* output, int stride) where TLoader : IWeightLoader
    {
        float* x0 = x, x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k;
        Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
        Vector256<float> a20 = default, a21 = default, a30 = default, a31 = default;
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            var w0 = TLoader.Load(w, i);
            var w1 = TLoader.Load(w, i + 8);
            a00 = Fma(w0, Vector256.Load(x0 + i), a00);
            a01 = Fma(w1, Vector256.Load(x0 + i + 8), a01);
            a10 = Fma(w0, Vector256.Load(x1 + i), a10);
            a11 = Fma(w1, Vector256.Load(x1 + i + 8), a11);
            a20 = Fma(w0, Vector256.Load(x2 + i), a20);
            a21 = Fma(w1, Vector256.Load(x2 + i + 8), a21);
            a30 = Fma(w0, Vector256.Load(x3 + i), a30);
            a31 = Fma(w1, Vector256.Load(x3 + i + 8), a31);
        }
        if (i + 8 <= k)
        {
            var w0 = TLoader.Load(w, i);
            a00 = Fma(w0, Vector256.Load(x0 + i), a00);
            a10 = Fma(w0, Vector256.Load(x1 + i), a10);
            a20 = Fma(w0, Vector256.Load(x2 + i), a20);
            a30 = Fma(w0, Vector256.Load(x3 + i), a30);
            i += 8;
        }
        float s0 = Vector256.Sum(a00 + a01), s1 = Vector256.Sum(a10 + a11);
        float s2 = Vector256.Sum(a20 + a21), s3 = Vector256.Sum(a30 + a31);
        for (; i < k; i++)
        {
            float wi = TLoader.Scalar(w, i);
            s0 += wi * x0[i];
            s1 += wi * x1[i];
            s2 += wi * x2[i];
            s3 += wi * x3[i];
        }
        output[0] = s0;
        output[stride] = s1;
        output[2 * stride] = s2;
        output[3 * stride] = s3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported ? System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c) : Vector256.FusedMultiplyAdd(a, b, c);

    private interface IWeightLoader
    {
        static abstract Vector256<float> Load(byte* row, int index);
        static abstract float Scalar(byte* row, int index);
    }

    private readonly struct F32Loader : IWeightLoader
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load(byte* row, int index) => Vector256.Load((float*)row + index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Scalar(byte* row, int index) => ((float*)row)[index];
    }

    private readonly struct Bf16Loader : IWeightLoader
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load(byte* row, int index) => Dtype.LoadBf16((ushort*)row + index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Scalar(byte* row, int index) => Dtype.Bf16ToSingle(((ushort*)row)[index]);
    }
}
