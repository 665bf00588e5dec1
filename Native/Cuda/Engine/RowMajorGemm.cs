namespace BlitzScale.Native.Cuda.Engine;

/// <summary>The arguments of one column-major cuBLAS GEMM (see <see cref="CublasHandle.Gemm"/>), without the pointers and types.</summary>
internal readonly record struct GemmCall(CublasOperation TransA, CublasOperation TransB, int M, int N, int K, int Lda, int Ldb, int Ldc);

/// <summary>
/// <c>out (T, N) = x (T, K) · W (N, K)ᵀ</c> with every matrix row-major, as the cpu backend's MatMul, expressed for
/// column-major cuBLAS: a row-major (r, c) matrix is a column-major (c, r) one, so out becomes the column-major (N, T)
/// matrix <c>W_cm(K, N)ᵀ · x_cm(K, T)</c>: A = W transposed, B = x as is.
/// </summary>
internal static class RowMajorGemm
{
    /// <summary>The call for <paramref name="tokens"/> rows of x, <paramref name="outFeatures"/> rows of W, <paramref name="inFeatures"/> columns of both.</summary>
    public static GemmCall For(int tokens, int outFeatures, int inFeatures)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        return new GemmCall(CublasOperation.T, CublasOperation.N, outFeatures, tokens, inFeatures, inFeatures, inFeatures, outFeatures);
    }

    /// <summary>The cuBLAS storage type of a stored dtype.</summary>
    public static CudaDataType TypeOf(Tensors.DType dtype) => dtype switch
    {
        Tensors.DType.F32 => CudaDataType.F32,
        Tensors.DType.F16 => CudaDataType.F16,
        Tensors.DType.BF16 => CudaDataType.BF16,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no cuBLAS type for this dtype"),
    };
}
