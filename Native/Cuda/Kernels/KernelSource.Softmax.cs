namespace BlitzScale.Native.Cuda.Kernels;

internal static partial class KernelSource
{
    private const string Softmax = """
        // The causal softmax of attention scores computed by cuBLAS (GemmAttention): scores (batch, length, length)
        // f32, row i of a batch item being query i's scaled dot products with keys 0..length-1 of a segment that starts
        // at position 0. Keys 0..i are normalized in place; keys past i become 0, so the P·V GEMM can read whole rows.
        // Grid: (length, batch); block: 256.
        extern "C" __global__ void causal_softmax_rows(float* scores, int length)
        {
            float* row = scores + ((long long)blockIdx.y * length + blockIdx.x) * length;
            int valid = blockIdx.x + 1;
            float m = NEG_INF;
            for (int j = threadIdx.x; j < valid; j += blockDim.x) m = fmaxf(m, row[j]);
            m = block_reduce(m, true);
            float sum = 0.0f;
            for (int j = threadIdx.x; j < valid; j += blockDim.x)
            {
                float e = expf(row[j] - m);
                row[j] = e;
                sum += e;
            }
            sum = block_reduce(sum, false);
            float inverse = 1.0f / sum;
            for (int j = threadIdx.x; j < length; j += blockDim.x) row[j] = j < valid ? row[j] * inverse : 0.0f;
        }
        """;
}
