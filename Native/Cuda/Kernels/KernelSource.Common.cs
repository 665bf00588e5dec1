namespace BlitzScale.Native.Cuda.Kernels;

internal static partial class KernelSource
{
    // dtype codes, conversions and block reductions. Conversions go through PTX rather than cuda_fp16.h so the
    // program needs no headers (NVRTC finds none by default).
    private const string Common = """
        #define DT_F32 0
        #define DT_F16 1
        #define DT_BF16 2
        #define MAX_HEAD_DIM 128
        // INFINITY comes from math.h, which an NVRTC program does not include.
        #define NEG_INF __int_as_float(0xff800000)

        __device__ __forceinline__ float bf16_to_f32(unsigned short h) { return __uint_as_float(((unsigned int)h) << 16); }

        __device__ __forceinline__ float f16_to_f32(unsigned short h)
        {
        #ifdef __CUDA_ARCH__
            float f;
            asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
            return f;
        #else
            return __emu_f16_to_f32(h);  // a host compile: the CPU emulator the tests run the kernels on
        #endif
        }

        // Round to nearest even, NaN kept a NaN: the same rule as the cpu backend's SingleToBf16.
        __device__ __forceinline__ unsigned short f32_to_bf16(float f)
        {
            unsigned int bits = __float_as_uint(f);
            if ((bits & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((bits >> 16) | 0x40u);
            bits += 0x7fffu + ((bits >> 16) & 1u);
            return (unsigned short)(bits >> 16);
        }

        __device__ __forceinline__ unsigned short f32_to_f16(float f)
        {
        #ifdef __CUDA_ARCH__
            unsigned short h;
            asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
            return h;
        #else
            return __emu_f32_to_f16(f);
        #endif
        }

        __device__ __forceinline__ float load_f32(const void* p, long long i, int dtype)
        {
            if (dtype == DT_F32) return ((const float*)p)[i];
            unsigned short h = ((const unsigned short*)p)[i];
            return dtype == DT_BF16 ? bf16_to_f32(h) : f16_to_f32(h);
        }

        __device__ __forceinline__ void store_f32(void* p, long long i, int dtype, float v)
        {
            if (dtype == DT_F32) ((float*)p)[i] = v;
            else ((unsigned short*)p)[i] = dtype == DT_BF16 ? f32_to_bf16(v) : f32_to_f16(v);
        }

        __device__ __forceinline__ float warp_sum(float v)
        {
            for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
            return v;
        }

        __device__ __forceinline__ float warp_max(float v)
        {
            for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
            return v;
        }

        // Sum (or max) over the block, returned to every thread. Starts with a barrier so that calls may follow
        // one another: the previous call's readers of `partial` are done before it is overwritten.
        __device__ float block_reduce(float v, bool is_max)
        {
            __shared__ float partial[32];
            int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
            v = is_max ? warp_max(v) : warp_sum(v);
            __syncthreads();
            if (lane == 0) partial[warp] = v;
            __syncthreads();
            v = lane < warps ? partial[lane] : (is_max ? NEG_INF : 0.0f);
            return is_max ? warp_max(v) : warp_sum(v);
        }

        // Element offset of position `pos` of a sequence in a layer's key (or value) array: the KvCache layout.
        __device__ __forceinline__ long long kv_slot(const int* table, int pos, int block_size, int kv_dim)
        {
            return ((long long)table[pos / block_size] * block_size + pos % block_size) * kv_dim;
        }
        """;
}
