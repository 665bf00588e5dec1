namespace BlitzScale.Native.Cuda.Kernels;

internal static partial class KernelSource
{
    private const string Rope = """
        // Rotates the queries and keys of each token in place (rotate-half: element j with j + head_dim/2) with the
        // cos/sin of its position from `cos_sin` ((positions, head_dim/2, 2) f32, computed on the host exactly as the
        // cpu backend computes them), then stores its key and value rows into the layer's paged cache at slots[t].
        // qkv: (tokens, q_dim + 2 kv_dim). Grid: tokens.
        extern "C" __global__ void rope_store_kv(float* qkv, const float* cos_sin, const int* positions, const long long* slots,
            float* keys, float* values, int heads, int kv_heads, int head_dim)
        {
            int t = blockIdx.x, half = head_dim / 2;
            int q_dim = heads * head_dim, kv_dim = kv_heads * head_dim;
            float* row = qkv + (long long)t * (q_dim + 2 * kv_dim);
            const float* cs = cos_sin + (long long)positions[t] * half * 2;
            long long slot = slots[t];
            int pairs = (heads + kv_heads) * half;
            for (int e = threadIdx.x; e < pairs; e += blockDim.x)
            {
                int h = e / half, j = e % half;
                float c = cs[2 * j], s = cs[2 * j + 1];
                // Query heads then key heads: both sit back to back at the start of the row.
                float* v = row + h * head_dim;
                float x1 = v[j], x2 = v[j + half];
                float r1 = x1 * c - x2 * s, r2 = x2 * c + x1 * s;
                v[j] = r1;
                v[j + half] = r2;
                if (h >= heads)
                {
                    int k = (h - heads) * head_dim;
                    keys[slot + k + j] = r1;
                    keys[slot + k + j + half] = r2;
                }
            }
            const float* value = row + q_dim + kv_dim;
            for (int i = threadIdx.x; i < kv_dim; i += blockDim.x) values[slot + i] = value[i];
        }
        """;
}
