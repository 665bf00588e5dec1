namespace BlitzScale.Native.Cuda.Interop;

/// <summary>
/// The cuBLAS entry points we call (libcublas.so.13, else the CUDA 12 or 11 one), resolved on first call. Each returns a
/// cublasStatus_t (0 = success). Handles are opaque pointers; alpha and beta are host pointers (the default pointer mode).
/// </summary>
internal static unsafe class Cublas
{
    /// <summary>CUBLAS_GEMM_DEFAULT: let the library's heuristics choose.</summary>
    public const int GemmDefault = -1;

    public static readonly NativeBinding Binding = new(["libcublas.so.13", "libcublas.so.12", "libcublas.so.11"], "cuBLAS unavailable");

    private static nint s_create, s_destroy, s_setStream, s_gemmEx, s_gemmStridedBatchedEx, s_getStatusName;

    private static nint Fn(ref nint slot, string name) => Binding.Export(ref slot, name);

    public static int cublasCreate_v2(nint* handle) =>
        ((delegate* unmanaged<nint*, int>)Fn(ref s_create, "cublasCreate_v2"))(handle);

    public static int cublasDestroy_v2(nint handle) =>
        ((delegate* unmanaged<nint, int>)Fn(ref s_destroy, "cublasDestroy_v2"))(handle);

    public static int cublasSetStream_v2(nint handle, nint stream) =>
        ((delegate* unmanaged<nint, nint, int>)Fn(ref s_setStream, "cublasSetStream_v2"))(handle, stream);

    public static int cublasGemmEx(nint handle, CublasOperation transA, CublasOperation transB, int m, int n, int k,
        float* alpha, ulong a, CudaDataType aType, int lda, ulong b, CudaDataType bType, int ldb,
        float* beta, ulong c, CudaDataType cType, int ldc, int computeType, int algorithm) =>
        ((delegate* unmanaged<nint, CublasOperation, CublasOperation, int, int, int, float*, ulong, CudaDataType, int, ulong, CudaDataType, int,
            float*, ulong, CudaDataType, int, int, int, int>)Fn(ref s_gemmEx, "cublasGemmEx"))(
            handle, transA, transB, m, n, k, alpha, a, aType, lda, b, bType, ldb, beta, c, cType, ldc, computeType, algorithm);

    public static int cublasGemmStridedBatchedEx(nint handle, CublasOperation transA, CublasOperation transB, int m, int n, int k,
        float* alpha, ulong a, CudaDataType aType, int lda, long strideA, ulong b, CudaDataType bType, int ldb, long strideB,
        float* beta, ulong c, CudaDataType cType, int ldc, long strideC, int batchCount, int computeType, int algorithm) =>
        ((delegate* unmanaged<nint, CublasOperation, CublasOperation, int, int, int, float*, ulong, CudaDataType, int, long, ulong, CudaDataType, int, long,
            float*, ulong, CudaDataType, int, long, int, int, int, int>)Fn(ref s_gemmStridedBatchedEx, "cublasGemmStridedBatchedEx"))(
            handle, transA, transB, m, n, k, alpha, a, aType, lda, strideA, b, bType, ldb, strideB, beta, c, cType, ldc, strideC,
            batchCount, computeType, algorithm);

    public static byte* cublasGetStatusName(int status) =>
        ((delegate* unmanaged<int, byte*>)Fn(ref s_getStatusName, "cublasGetStatusName"))(status);
}
