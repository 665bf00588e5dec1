namespace BlitzScale.Native.Cuda.Kernels;

internal static partial class KernelSource
{
    private const string Elementwise = """
        // out (tokens, hidden) f32 = table[tokens[t]] widened. Grid: tokens; token ids were checked on the host.
        extern "C" __global__ void embed_gather(float* out, const void* table, int dtype, const int* tokens, int hidden)
        {
            long long row = (long long)tokens[blockIdx.x] * hidden;
            float* o = out + (long long)blockIdx.x * hidden;
            for (int i = threadIdx.x; i < hidden; i += blockDim.x) o[i] = load_f32(table, row + i, dtype);
        }

        // out (n) in dtype = in (n) f32: a GEMM input in the weight dtype. Grid: ceil(n / block).
        extern "C" __global__ void convert_rows(void* out, int dtype, const float* in, long long n)
        {
            long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
            if (i < n) store_f32(out, i, dtype, in[i]);
        }

        // x (rows, width) += bias (width) widened, every row (the q/k/v biases of Qwen2). Grid: (ceil(width / block), rows).
        extern "C" __global__ void add_bias(float* x, const void* bias, int dtype, int width)
        {
            int i = blockIdx.x * blockDim.x + threadIdx.x;
            if (i < width) x[(long long)blockIdx.y * width + i] += load_f32(bias, i, dtype);
        }

        // out (rows, width) in dtype = silu(gate) * up over the fused [gate | up] rows (rows, 2 * width) f32,
        // as g * (1 / (1 + exp(-g))) * up, the cpu backend's order. Grid: (ceil(width / block), rows).
        extern "C" __global__ void silu_mul(void* out, int dtype, const float* gate_up, int width)
        {
            int i = blockIdx.x * blockDim.x + threadIdx.x;
            if (i >= width) return;
            const float* row = gate_up + (long long)blockIdx.y * 2 * width;
            float g = row[i];
            store_f32(out, (long long)blockIdx.y * width + i, dtype, g * (1.0f / (1.0f + expf(-g))) * row[width + i]);
        }
        """;
}
