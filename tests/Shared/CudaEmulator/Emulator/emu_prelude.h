// Put before a kernel source by the emulator's NVRTC: the CUDA C++ a kernel may use, for a host C++ compiler.
// Each CUDA thread runs as a fiber; __syncthreads and warp shuffles are the driver's (emu_api.h).
#pragma once
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <type_traits>
#include <utility>
#include "emu_api.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
// One block runs at a time, so a function's shared arrays can be its statics.
#define __shared__ static
#define __launch_bounds__(...)
#define __restrict__

extern "C" __attribute__((visibility("default"))) emu_thread_state __emu_state;
emu_thread_state __emu_state;
static const emu_api* __emu_api_table;
extern "C" __attribute__((visibility("default"))) void __emu_bind(const emu_api* api) { __emu_api_table = api; }
extern "C" __attribute__((visibility("default"))) const int __emu_module_marker = 1;

#define threadIdx (__emu_state.threadIdx)
#define blockIdx (__emu_state.blockIdx)
#define blockDim (__emu_state.blockDim)
#define gridDim (__emu_state.gridDim)
#define warpSize 32

struct __attribute__((aligned(16))) float4 { float x, y, z, w; };
struct __attribute__((aligned(8))) float2 { float x, y; };
static inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
static inline float2 make_float2(float x, float y) { return float2{x, y}; }

static inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
static inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
static inline int __float_as_int(float f) { int i; memcpy(&i, &f, 4); return i; }
static inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
static inline int min(int a, int b) { return a < b ? a : b; }
static inline int max(int a, int b) { return a > b ? a : b; }
static inline long long min(long long a, long long b) { return a < b ? a : b; }
static inline long long max(long long a, long long b) { return a > b ? a : b; }

// IEEE half conversions, round to nearest even (what cvt.rn.f16.f32 does).
static inline float __emu_f16_to_f32(unsigned short h) { _Float16 v; memcpy(&v, &h, 2); return (float)v; }
static inline unsigned short __emu_f32_to_f16(float f) { _Float16 v = (_Float16)f; unsigned short h; memcpy(&h, &v, 2); return h; }

static inline void __syncthreads() { __emu_api_table->syncthreads(); }
static inline float __shfl_xor_sync(unsigned mask, float v, int lane_mask)
{
    return __uint_as_float(__emu_api_table->shfl_xor(mask, __float_as_uint(v), lane_mask));
}
static inline int __shfl_xor_sync(unsigned mask, int v, int lane_mask)
{
    return (int)__emu_api_table->shfl_xor(mask, (unsigned)v, lane_mask);
}
static inline unsigned __shfl_xor_sync(unsigned mask, unsigned v, int lane_mask)
{
    return __emu_api_table->shfl_xor(mask, v, lane_mask);
}

// Kernel entry: arguments arrive as cuLaunchKernel's array of pointers to values.
template <class... A, std::size_t... I>
static void __emu_call(void (*kernel)(A...), void** arguments, std::index_sequence<I...>)
{
    kernel(*static_cast<std::remove_reference_t<A>*>(arguments[I])...);
}

template <class... A>
static void __emu_invoke(void (*kernel)(A...), void** arguments)
{
    __emu_call(kernel, arguments, std::index_sequence_for<A...>{});
}

template <class... A>
static int __emu_argument_sizes(void (*)(A...), int* sizes, int capacity)
{
    int n = 0;
    ((n < capacity ? (void)(sizes[n] = (int)sizeof(A)) : (void)0, n++), ...);
    return (int)sizeof...(A);
}
