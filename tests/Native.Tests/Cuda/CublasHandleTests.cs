using System.Runtime.InteropServices;
using BlitzScale.Native.Cuda;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>cuBLAS through <see cref="CublasHandle"/>: an f32 GEMM checked against a plain loop, where a device exists.</summary>
public sealed class CublasHandleTests
{
    [SkippableFact]
    public void Gemm_matches_a_reference_where_a_device_exists()
    {
        var probe = CudaRuntime.Probe();
        Skip.IfNot(probe.Available, probe.Reason);
        Skip.IfNot(NativeLibrary.TryLoad("libcublas.so.13", out _), "libcublas.so.13 could not be loaded");
        const int M = 33, N = 7, K = 65;
        var random = new Random(3);
        // Column-major: a is M×K, b is K×N, c is M×N.
        var a = Enumerable.Range(0, M * K).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var b = Enumerable.Range(0, K * N).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        using var context = CudaContext.Open();
        using var da = context.Allocate(a.Length * 4);
        using var db = context.Allocate(b.Length * 4);
        using var dc = context.Allocate(M * N * 4 * 2);
        da.CopyFrom(MemoryMarshal.AsBytes(a.AsSpan()));
        db.CopyFrom(MemoryMarshal.AsBytes(b.AsSpan()));
        using var blas = CublasHandle.Create(context);
        using var stream = context.CreateStream();
        blas.SetStream(stream);

        blas.Gemm(CublasOperation.N, CublasOperation.N, M, N, K, da.Pointer, CudaDataType.F32, M, db.Pointer, CudaDataType.F32, K,
            dc.Pointer, CudaDataType.F32, M);
        // The same product twice, batched with a zero stride for A and B.
        blas.GemmStridedBatched(CublasOperation.N, CublasOperation.N, M, N, K, da.Pointer, CudaDataType.F32, M, db.Pointer, CudaDataType.F32, K,
            dc.Pointer, CudaDataType.F32, M, 0, 0, M * N, 2);
        stream.Synchronize();

        var c = new float[M * N * 2];
        dc.CopyTo(MemoryMarshal.AsBytes(c.AsSpan()));
        for (int j = 0; j < N; j++)
        {
            for (int i = 0; i < M; i++)
            {
                float expected = 0;
                for (int k = 0; k < K; k++) expected += a[k * M + i] * b[j * K + k];
                Assert.Equal(expected, c[j * M + i], 3);
                Assert.Equal(expected, c[M * N + j * M + i], 3);
            }
        }
    }

    [SkippableFact]
    public void Without_a_device_creating_a_handle_fails_clearly()
    {
        var probe = CudaRuntime.Probe();
        Skip.If(probe.Available, $"a CUDA device is present ({probe.Reason}): the no-device branch cannot be taken here");
        Assert.ThrowsAny<CudaException>(() =>
        {
            using var context = CudaContext.Open();
            using var handle = CublasHandle.Create(context);
        });
    }
}
