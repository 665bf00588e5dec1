namespace BlitzScale.Native.Cuda;

/// <summary>Whether cuBLAS reads a matrix as stored or transposed (cublasOperation_t values).</summary>
public enum CublasOperation
{
    /// <summary>CUBLAS_OP_N: as stored (column-major).</summary>
    N = 0,
    /// <summary>CUBLAS_OP_T: transposed.</summary>
    T = 1,
}
