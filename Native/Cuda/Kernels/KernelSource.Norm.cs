namespace BlitzScale.Native.Cuda.Kernels;

internal static partial class KernelSource
{
    private const string Norm = """
        // out (rows, width) in out_dtype = x / sqrt(mean(x^2) + eps) * weight, computed as the cpu backend does:
        // scale = 1 / sqrt(sum / width + eps), then (x * scale) * weight. Grid: rows.
        extern "C" __global__ void rms_norm(void* out, int out_dtype, const float* x, const void* weight, int weight_dtype,
            int width, float eps)
        {
            const float* row = x + (long long)blockIdx.x * width;
            float ss = 0.0f;
            for (int i = threadIdx.x; i < width; i += blockDim.x) ss += row[i] * row[i];
            ss = block_reduce(ss, false);
            float scale = 1.0f / sqrtf(ss / width + eps);
            long long base = (long long)blockIdx.x * width;
            for (int i = threadIdx.x; i < width; i += blockDim.x)
                store_f32(out, base + i, out_dtype, (row[i] * scale) * load_f32(weight, i, weight_dtype));
        }
        """;
}
