namespace BlitzScale.Native.Cuda;

/// <summary>cuBLAS compute types (cublasComputeType_t) the backend uses: how a GEMM multiplies and accumulates.</summary>
public enum CublasComputeType
{
    /// <summary>CUBLAS_COMPUTE_32F: f32 accumulation; f16/bf16 inputs on tensor cores, f32 inputs on CUDA cores.</summary>
    F32 = 68,

    /// <summary>
    /// CUBLAS_COMPUTE_32F_FAST_TF32: f32 inputs rounded to TF32 (10-bit mantissa) on tensor cores, f32 accumulation;
    /// for attention scores of bf16/f16 models, whose activations are already rounded to 7 or 10 bits.
    /// </summary>
    F32FastTf32 = 77,
}
