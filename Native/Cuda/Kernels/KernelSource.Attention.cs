namespace BlitzScale.Native.Cuda.Kernels;

internal static partial class KernelSource
{
    // Causal grouped-query attention over the paged KV cache, f32 throughout. Query head h reads KV head
    // h / (heads / kv_heads); a token at position p attends to positions 0..p of its own sequence, whose keys and values
    // (this step's included) are already in the cache. Two kernels share that contract:
    //
    //   attention_prefill: a tile of up to 32 consecutive tokens of one segment × one head per block. 4 threads per
    //     query, each owning head_dim/4 dimensions interleaved in float4s (thread part owns dims 16c+4part..16c+4part+3),
    //     so the 8 queries of a warp read the same 64 contiguous bytes of a shared-memory key row: one wavefront, 4 FMAs.
    //     Keys and values come through shared memory 32 positions at a time; softmax is online (running max and sum).
    //   attention_decode: one token × one head per block, for single-token segments: 128 keys at a time, one per thread,
    //     then the threads owning a dimension accumulate the weighted values.
    private const string Attention = """
        #define Q_TILE 32
        #define K_TILE 32
        #define CHUNKS (MAX_HEAD_DIM / 16)

        // tiles: (tile count, 4) ints: first token, token count (1..32), position of the first token, segment.
        // block_tables: (segments, max_blocks). out: (tokens, heads * head_dim). Grid: (tiles, heads); block: 128.
        extern "C" __global__ void __launch_bounds__(128) attention_prefill(float* out, const float* qkv, const float* keys,
            const float* values, const int* tiles, const int* block_tables, int max_blocks, int block_size,
            int heads, int kv_heads, int head_dim, float scale)
        {
            __shared__ float4 ks[K_TILE][MAX_HEAD_DIM / 4];
            __shared__ float4 vs[K_TILE][MAX_HEAD_DIM / 4];
            const int* tile = tiles + blockIdx.x * 4;
            int token0 = tile[0], count = tile[1], position0 = tile[2];
            const int* table = block_tables + (long long)tile[3] * max_blocks;
            int head = blockIdx.y, kv_head = head / (heads / kv_heads);
            int q_dim = heads * head_dim, kv_dim = kv_heads * head_dim, qkv_width = q_dim + 2 * kv_dim, vec = head_dim / 4;
            int qi = threadIdx.x >> 2, part = threadIdx.x & 3;
            bool active = qi < count;
            int position = position0 + qi, last = position0 + count - 1;

            float4 q[CHUNKS], o[CHUNKS];
            const float4* q_row = (const float4*)(qkv + (long long)(token0 + (active ? qi : 0)) * qkv_width + head * head_dim);
            #pragma unroll
            for (int c = 0; c < CHUNKS; c++)
            {
                int v = 4 * c + part;
                q[c] = active && v < vec ? q_row[v] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
                o[c] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
            }
            float m = NEG_INF, l = 0.0f;

            for (int k0 = 0; k0 <= last; k0 += K_TILE)
            {
                __syncthreads();
                for (int e = threadIdx.x; e < K_TILE * vec; e += blockDim.x)
                {
                    int j = e / vec, v = e % vec, p = k0 + j;
                    if (p <= last)
                    {
                        long long slot = kv_slot(table, p, block_size, kv_dim) + kv_head * head_dim;
                        ks[j][v] = ((const float4*)(keys + slot))[v];
                        vs[j][v] = ((const float4*)(values + slot))[v];
                    }
                    else
                    {
                        ks[j][v] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
                        vs[j][v] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
                    }
                }
                __syncthreads();

                float s[K_TILE];
                float tile_max = NEG_INF;
                #pragma unroll
                for (int j = 0; j < K_TILE; j++)
                {
                    float partial = 0.0f;
                    #pragma unroll
                    for (int c = 0; c < CHUNKS; c++)
                    {
                        int v = 4 * c + part;
                        if (v < vec)
                        {
                            float4 k = ks[j][v];
                            partial += q[c].x * k.x + q[c].y * k.y + q[c].z * k.z + q[c].w * k.w;
                        }
                    }
                    // The 4 threads of a query are adjacent lanes: every lane takes part in the shuffles.
                    partial += __shfl_xor_sync(0xffffffffu, partial, 1);
                    partial += __shfl_xor_sync(0xffffffffu, partial, 2);
                    s[j] = k0 + j <= position ? partial * scale : NEG_INF;
                    tile_max = fmaxf(tile_max, s[j]);
                }
                if (!active || tile_max == NEG_INF) continue;

                float m_new = fmaxf(m, tile_max);
                float correction = expf(m - m_new);
                l *= correction;
                #pragma unroll
                for (int c = 0; c < CHUNKS; c++)
                {
                    o[c].x *= correction; o[c].y *= correction; o[c].z *= correction; o[c].w *= correction;
                }
                #pragma unroll
                for (int j = 0; j < K_TILE; j++)
                {
                    float p = expf(s[j] - m_new);
                    l += p;
                    #pragma unroll
                    for (int c = 0; c < CHUNKS; c++)
                    {
                        int v = 4 * c + part;
                        if (v < vec)
                        {
                            float4 w = vs[j][v];
                            o[c].x += p * w.x; o[c].y += p * w.y; o[c].z += p * w.z; o[c].w += p * w.w;
                        }
                    }
                }
                m = m_new;
            }

            if (!active) return;
            float inverse = 1.0f / l;
            float4* out_row = (float4*)(out + (long long)(token0 + qi) * q_dim + head * head_dim);
            #pragma unroll
            for (int c = 0; c < CHUNKS; c++)
            {
                int v = 4 * c + part;
                if (v < vec) out_row[v] = make_float4(o[c].x * inverse, o[c].y * inverse, o[c].z * inverse, o[c].w * inverse);
            }
        }

        // decode_tokens: the batch indexes of the tokens to run; token_segments, positions: per batch token.
        // Grid: (decode tokens, heads); block: 128 (at least head_dim).
        extern "C" __global__ void __launch_bounds__(128) attention_decode(float* out, const float* qkv, const float* keys,
            const float* values, const int* decode_tokens, const int* token_segments, const int* positions,
            const int* block_tables, int max_blocks, int block_size, int heads, int kv_heads, int head_dim, float scale)
        {
            __shared__ float q[MAX_HEAD_DIM];
            __shared__ float weights[128];
            int t = decode_tokens[blockIdx.x], head = blockIdx.y, kv_head = head / (heads / kv_heads);
            int q_dim = heads * head_dim, kv_dim = kv_heads * head_dim;
            const int* table = block_tables + (long long)token_segments[t] * max_blocks;
            int length = positions[t] + 1;
            const float* q_row = qkv + (long long)t * (q_dim + 2 * kv_dim) + head * head_dim;
            for (int i = threadIdx.x; i < head_dim; i += blockDim.x) q[i] = q_row[i];
            __syncthreads();

            float m = NEG_INF, l = 0.0f, acc = 0.0f;
            for (int k0 = 0; k0 < length; k0 += blockDim.x)
            {
                int p = k0 + threadIdx.x;
                float s = NEG_INF;
                if (p < length)
                {
                    const float* k = keys + kv_slot(table, p, block_size, kv_dim) + kv_head * head_dim;
                    float dot = 0.0f;
                    for (int d = 0; d < head_dim; d++) dot += q[d] * k[d];
                    s = dot * scale;
                }
                float m_new = fmaxf(m, block_reduce(s, true));
                float e = p < length ? expf(s - m_new) : 0.0f;
                weights[threadIdx.x] = e;
                // block_reduce's barriers also publish `weights`.
                float sum = block_reduce(e, false);
                float correction = expf(m - m_new);
                l = l * correction + sum;
                if (threadIdx.x < head_dim)
                {
                    acc *= correction;
                    int n = min((int)blockDim.x, length - k0);
                    for (int j = 0; j < n; j++)
                        acc += weights[j] * values[kv_slot(table, k0 + j, block_size, kv_dim) + kv_head * head_dim + threadIdx.x];
                }
                m = m_new;
                __syncthreads();
            }
            if (threadIdx.x < head_dim) out[(long long)t * q_dim + head * head_dim + threadIdx.x] = acc / l;
        }
        """;
}
