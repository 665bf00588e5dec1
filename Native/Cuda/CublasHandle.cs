using BlitzScale.Native.Cuda.Interop;

namespace BlitzScale.Native.Cuda;

/// <summary>
/// A cuBLAS handle bound to a context and (optionally) a stream. GEMMs are column-major, as cuBLAS defines them,
/// and accumulate in fp32 (CUBLAS_COMPUTE_32F) whatever the storage type. Not thread-safe: one handle per thread
/// that issues GEMMs.
/// </summary>
public sealed class CublasHandle : IDisposable
{
    private readonly CudaContext _context;
    private nint _handle;

    private CublasHandle(CudaContext context, nint handle)
    {
        _context = context;
        _handle = handle;
    }

    /// <summary>Creates a handle in <paramref name="context"/> (cublasCreate_v2).</summary>
    /// <exception cref="CudaUnavailableException">No cuBLAS is on this machine.</exception>
    public static unsafe CublasHandle Create(CudaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.MakeCurrent();
        nint handle;
        CudaCheck.Blas(Cublas.cublasCreate_v2(&handle), "cublasCreate_v2");
        return new CublasHandle(context, handle);
    }

    private nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(CublasHandle));

    /// <summary>Queues later GEMMs on <paramref name="stream"/> (cublasSetStream_v2).</summary>
    public void SetStream(CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _context.MakeCurrent();
        CudaCheck.Blas(Cublas.cublasSetStream_v2(Handle, stream.Handle), "cublasSetStream_v2");
    }

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C with op(A) m×k, op(B) k×n, C m×n, column-major (cublasGemmEx), multiplied as
    /// <paramref name="compute"/> says.
    /// </summary>
    public unsafe void Gemm(CublasOperation transA, CublasOperation transB, int m, int n, int k,
        ulong a, CudaDataType aType, int lda, ulong b, CudaDataType bType, int ldb, ulong c, CudaDataType cType, int ldc,
        float alpha = 1, float beta = 0, CublasComputeType compute = CublasComputeType.F32)
    {
        _context.MakeCurrent();
        int status = Cublas.cublasGemmEx(Handle, transA, transB, m, n, k, &alpha, a, aType, lda, b, bType, ldb, &beta, c, cType, ldc,
            (int)compute, Cublas.GemmDefault);
        // The detail is built only on failure: GEMMs are the hot path.
        if (status != CublasStatusNames.Success)
            CudaCheck.Blas(status, "cublasGemmEx", Shape(transA, transB, m, n, k, aType, bType, cType));
    }

    /// <summary>
    /// <paramref name="batchCount"/> GEMMs as <see cref="Gemm"/>, the i-th reading A at <c>a + i·strideA</c> elements
    /// (likewise B and C) (cublasGemmStridedBatchedEx).
    /// </summary>
    public unsafe void GemmStridedBatched(CublasOperation transA, CublasOperation transB, int m, int n, int k,
        ulong a, CudaDataType aType, int lda, ulong b, CudaDataType bType, int ldb, ulong c, CudaDataType cType, int ldc,
        long strideA, long strideB, long strideC, int batchCount, float alpha = 1, float beta = 0, CublasComputeType compute = CublasComputeType.F32)
    {
        _context.MakeCurrent();
        int status = Cublas.cublasGemmStridedBatchedEx(Handle, transA, transB, m, n, k, &alpha, a, aType, lda, strideA, b, bType, ldb, strideB,
            &beta, c, cType, ldc, strideC, batchCount, (int)compute, Cublas.GemmDefault);
        if (status != CublasStatusNames.Success)
            CudaCheck.Blas(status, "cublasGemmStridedBatchedEx", Shape(transA, transB, m, n, k, aType, bType, cType) + $" × {batchCount}");
    }

    private static string Shape(CublasOperation transA, CublasOperation transB, int m, int n, int k, CudaDataType aType, CudaDataType bType, CudaDataType cType) =>
        $"m={m} n={n} k={k} op {transA}{transB}, {aType}·{bType}→{cType}";

    /// <summary>Destroys the handle (cublasDestroy_v2).</summary>
    public void Dispose()
    {
        nint handle = Interlocked.Exchange(ref _handle, 0);
        if (handle == 0 || _context.IsDisposed) return;
        _context.MakeCurrent();
        CudaCheck.Blas(Cublas.cublasDestroy_v2(handle), "cublasDestroy_v2");
    }
}
