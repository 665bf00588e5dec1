// libcublas.so.13 for the CUDA emulator: cublasGemmEx and cublasGemmStridedBatchedEx (column-major, f32/f16/bf16
// storage, f32 compute) as stream-ordered work, with the argument checks cuBLAS makes.
#include "emu_driver.h"
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace
{
    enum : int
    {
        STATUS_SUCCESS = 0, NOT_INITIALIZED = 1, ALLOC_FAILED = 3, INVALID_VALUE = 7, ARCH_MISMATCH = 8,
        MAPPING_ERROR = 11, EXECUTION_FAILED = 13, INTERNAL_ERROR = 14, NOT_SUPPORTED = 15,
    };
    enum : int { R_32F = 0, R_16F = 2, R_16BF = 14 };
    // CUBLAS_COMPUTE_32F, and CUBLAS_COMPUTE_32F_FAST_TF32: f32 inputs rounded to TF32 (10 mantissa bits, to
    // nearest, ties away, as cvt.rna.tf32.f32) before f32 accumulation, so tests see the precision a GPU gives.
    constexpr int Compute32F = 68, Compute32FFastTf32 = 77;
    bool compute_supported(int compute) { return compute == Compute32F || compute == Compute32FFastTf32; }

    float to_tf32(float value)
    {
        unsigned bits; std::memcpy(&bits, &value, 4);
        if ((bits & 0x7f800000u) != 0x7f800000u) bits = (bits + 0x1000u) & 0xffffe000u;  // NaN and infinity pass
        float rounded; std::memcpy(&rounded, &bits, 4);
        return rounded;
    }

    struct Handle { void* stream = nullptr; };

    int element_bytes(int type) { return type == R_32F ? 4 : type == R_16F || type == R_16BF ? 2 : 0; }

    float load(const void* p, long long i, int type)
    {
        if (type == R_32F) return static_cast<const float*>(p)[i];
        unsigned short h = static_cast<const unsigned short*>(p)[i];
        if (type == R_16BF) { unsigned bits = (unsigned)h << 16; float f; std::memcpy(&f, &bits, 4); return f; }
        _Float16 v; std::memcpy(&v, &h, 2); return (float)v;
    }

    void store(void* p, long long i, int type, float value)
    {
        if (type == R_32F) { static_cast<float*>(p)[i] = value; return; }
        unsigned short h;
        if (type == R_16BF)
        {
            unsigned bits; std::memcpy(&bits, &value, 4);
            if ((bits & 0x7fffffffu) > 0x7f800000u) h = (unsigned short)((bits >> 16) | 0x40u);
            else { bits += 0x7fffu + ((bits >> 16) & 1u); h = (unsigned short)(bits >> 16); }
        }
        else { _Float16 v = (_Float16)value; std::memcpy(&h, &v, 2); }
        static_cast<unsigned short*>(p)[i] = h;
    }

    struct Gemm
    {
        int trans_a, trans_b, m, n, k;
        float alpha, beta;
        uint64_t a; int a_type, lda; long long stride_a;
        uint64_t b; int b_type, ldb; long long stride_b;
        uint64_t c; int c_type, ldc; long long stride_c;
        int batch;
        int compute;
    };

    // C = alpha op(A) op(B) + beta C, column-major; beta 0 means C is not read (it may hold NaNs).
    void run(const Gemm& g)
    {
        std::vector<float> a((size_t)g.m * g.k), b((size_t)g.n * g.k);
        bool tf32 = g.compute == Compute32FFastTf32 && g.a_type == R_32F;
        for (int batch = 0; batch < g.batch; batch++)
        {
            const void* pa = reinterpret_cast<const char*>(g.a) + batch * g.stride_a * element_bytes(g.a_type);
            const void* pb = reinterpret_cast<const char*>(g.b) + batch * g.stride_b * element_bytes(g.b_type);
            void* pc = reinterpret_cast<char*>(g.c) + batch * g.stride_c * element_bytes(g.c_type);
            // op(A) as rows of length k, op(B) as columns of length k: every dot product reads contiguously.
            for (int i = 0; i < g.m; i++)
                for (int l = 0; l < g.k; l++)
                    a[(size_t)i * g.k + l] = load(pa, g.trans_a ? (long long)i * g.lda + l : (long long)l * g.lda + i, g.a_type);
            for (int j = 0; j < g.n; j++)
                for (int l = 0; l < g.k; l++)
                    b[(size_t)j * g.k + l] = load(pb, g.trans_b ? (long long)l * g.ldb + j : (long long)j * g.ldb + l, g.b_type);
            if (tf32)
            {
                for (float& x : a) x = to_tf32(x);
                for (float& x : b) x = to_tf32(x);
            }
            for (int j = 0; j < g.n; j++)
                for (int i = 0; i < g.m; i++)
                {
                    const float* x = &a[(size_t)i * g.k];
                    const float* y = &b[(size_t)j * g.k];
                    float sum = 0;
                    for (int l = 0; l < g.k; l++) sum += x[l] * y[l];
                    long long at = (long long)j * g.ldc + i;
                    float value = g.alpha * sum;
                    if (g.beta != 0) value += g.beta * load(pc, at, g.c_type);
                    store(pc, at, g.c_type, value);
                }
        }
    }

    bool covers(uint64_t pointer, int type, int ld, int rows, int columns, long long stride, int batch)
    {
        if (rows == 0 || columns == 0) return true;
        long long last = (long long)(batch - 1) * stride + (long long)(columns - 1) * ld + rows;
        return emu_device_range(pointer, (size_t)last * (size_t)element_bytes(type));
    }

    int submit(Handle* handle, Gemm g)
    {
        if (handle == nullptr) return NOT_INITIALIZED;
        if (!emu_has_context()) return NOT_INITIALIZED;
        if ((g.trans_a != 0 && g.trans_a != 1) || (g.trans_b != 0 && g.trans_b != 1)) return INVALID_VALUE;
        if (g.m < 0 || g.n < 0 || g.k < 0 || g.batch < 0) return INVALID_VALUE;
        int a_rows = g.trans_a ? g.k : g.m, b_rows = g.trans_b ? g.n : g.k;
        if (g.lda < (a_rows > 1 ? a_rows : 1) || g.ldb < (b_rows > 1 ? b_rows : 1) || g.ldc < (g.m > 1 ? g.m : 1)) return INVALID_VALUE;
        if (element_bytes(g.a_type) == 0 || g.a_type != g.b_type || (g.c_type != R_32F && g.c_type != g.a_type)) return NOT_SUPPORTED;
        if (g.m == 0 || g.n == 0 || g.batch == 0) return STATUS_SUCCESS;
        if (!covers(g.a, g.a_type, g.lda, a_rows, g.trans_a ? g.m : g.k, g.stride_a, g.batch) ||
            !covers(g.b, g.b_type, g.ldb, b_rows, g.trans_b ? g.k : g.n, g.stride_b, g.batch) ||
            !covers(g.c, g.c_type, g.ldc, g.m, g.n, g.stride_c, g.batch))
        {
            std::fprintf(stderr, "cublas emulator: a GEMM operand reaches outside its device allocation\n");
            return EXECUTION_FAILED;
        }
        std::function<void()> work = [g] { run(g); };
        return emu_enqueue(handle->stream, &work) == 0 ? STATUS_SUCCESS : EXECUTION_FAILED;
    }
}

EXPORT int cublasCreate_v2(Handle** handle)
{
    if (handle == nullptr) return INVALID_VALUE;
    if (!emu_has_context()) return NOT_INITIALIZED;
    *handle = new Handle();
    return STATUS_SUCCESS;
}

EXPORT int cublasDestroy_v2(Handle* handle)
{
    if (handle == nullptr) return NOT_INITIALIZED;
    delete handle;
    return STATUS_SUCCESS;
}

EXPORT int cublasSetStream_v2(Handle* handle, void* stream)
{
    if (handle == nullptr) return NOT_INITIALIZED;
    handle->stream = stream;
    return STATUS_SUCCESS;
}

EXPORT int cublasGemmEx(Handle* handle, int trans_a, int trans_b, int m, int n, int k, const float* alpha,
    uint64_t a, int a_type, int lda, uint64_t b, int b_type, int ldb, const float* beta, uint64_t c, int c_type, int ldc,
    int compute, int algorithm)
{
    (void)algorithm;
    if (alpha == nullptr || beta == nullptr) return INVALID_VALUE;
    if (!compute_supported(compute)) return NOT_SUPPORTED;
    return submit(handle, Gemm{trans_a, trans_b, m, n, k, *alpha, *beta, a, a_type, lda, 0, b, b_type, ldb, 0, c, c_type, ldc, 0, 1, compute});
}

EXPORT int cublasGemmStridedBatchedEx(Handle* handle, int trans_a, int trans_b, int m, int n, int k, const float* alpha,
    uint64_t a, int a_type, int lda, long long stride_a, uint64_t b, int b_type, int ldb, long long stride_b,
    const float* beta, uint64_t c, int c_type, int ldc, long long stride_c, int batch, int compute, int algorithm)
{
    (void)algorithm;
    if (alpha == nullptr || beta == nullptr) return INVALID_VALUE;
    if (!compute_supported(compute)) return NOT_SUPPORTED;
    return submit(handle, Gemm{trans_a, trans_b, m, n, k, *alpha, *beta, a, a_type, lda, stride_a, b, b_type, ldb, stride_b,
        c, c_type, ldc, stride_c, batch, compute});
}

EXPORT const char* cublasGetStatusName(int status)
{
    switch (status)
    {
        case STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
        case NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
        case INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
        case ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
        case MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
        case EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
        case NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
        default: return "CUBLAS_STATUS_UNKNOWN";
    }
}
