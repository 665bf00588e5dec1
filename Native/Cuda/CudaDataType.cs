namespace BlitzScale.Native.Cuda;

/// <summary>Element types of GEMM operands (cudaDataType_t values, library_types.h).</summary>
public enum CudaDataType
{
    /// <summary>CUDA_R_32F.</summary>
    F32 = 0,
    /// <summary>CUDA_R_16F.</summary>
    F16 = 2,
    /// <summary>CUDA_R_16BF.</summary>
    BF16 = 14,
}
