namespace BlitzScale.Native.Cuda.Kernels;

internal static partial class KernelSource
{
    private const string Argmax = """
        // out[row] = index of the largest logit of the row, the lowest index winning ties (as Sampler.ArgMax). Grid: rows;
        // block: 256 threads.
        extern "C" __global__ void argmax_rows(int* out, const float* logits, int vocab)
        {
            __shared__ float best_value[256];
            __shared__ int best_index[256];
            const float* row = logits + (long long)blockIdx.x * vocab;
            float best = NEG_INF;
            int index = 0x7fffffff;
            for (int i = threadIdx.x; i < vocab; i += blockDim.x)
            {
                float v = row[i];
                if (v > best || index == 0x7fffffff) { best = v; index = i; }
            }
            best_value[threadIdx.x] = best;
            best_index[threadIdx.x] = index;
            __syncthreads();
            for (int stride = blockDim.x / 2; stride > 0; stride >>= 1)
            {
                if (threadIdx.x < stride)
                {
                    float v = best_value[threadIdx.x + stride];
                    int j = best_index[threadIdx.x + stride];
                    if (v > best_value[threadIdx.x] || (v == best_value[threadIdx.x] && j < best_index[threadIdx.x]))
                    {
                        best_value[threadIdx.x] = v;
                        best_index[threadIdx.x] = j;
                    }
                }
                __syncthreads();
            }
            if (threadIdx.x == 0) out[blockIdx.x] = best_index[0];
        }
        """;
}
