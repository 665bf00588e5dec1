using System.Runtime.CompilerServices;
using BlitzScale.Native.Cuda;
using BlitzScale.Native.Cuda.Interop;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>Values and layouts that cross into the CUDA libraries, pinned against their C headers.</summary>
public sealed class CudaConstantsTests
{
    [Fact]
    public void Data_types_are_cudaDataType_t_values()
    {
        // library_types.h: CUDA_R_32F = 0, CUDA_R_16F = 2, CUDA_R_16BF = 14.
        Assert.Equal(0, (int)CudaDataType.F32);
        Assert.Equal(2, (int)CudaDataType.F16);
        Assert.Equal(14, (int)CudaDataType.BF16);
        Assert.Equal(sizeof(int), Unsafe.SizeOf<CudaDataType>());
    }

    [Fact]
    public void Operations_are_cublasOperation_t_values()
    {
        Assert.Equal(0, (int)CublasOperation.N);
        Assert.Equal(1, (int)CublasOperation.T);
        Assert.Equal(sizeof(int), Unsafe.SizeOf<CublasOperation>());
    }

    [Fact]
    public void Cublas_compute_and_algorithm_match_the_header()
    {
        Assert.Equal(68, (int)CublasComputeType.F32);
        Assert.Equal(77, (int)CublasComputeType.F32FastTf32);
        Assert.Equal(-1, Cublas.GemmDefault);
    }

    [Fact]
    public void Driver_flags_and_attributes_match_cuda_h()
    {
        Assert.Equal(1u, CuFlags.IpcMemLazyEnablePeerAccess);
        Assert.Equal(1u, CuFlags.MemHostAllocPortable);
        Assert.Equal(1u, CuFlags.MemHostRegisterPortable);
        Assert.Equal(0u, CuFlags.StreamDefault);
        Assert.Equal(2u, CuFlags.EventDisableTiming);
        Assert.Equal(75, (int)CuDeviceAttribute.ComputeCapabilityMajor);
        Assert.Equal(76, (int)CuDeviceAttribute.ComputeCapabilityMinor);
        Assert.Equal(600, CuResultNames.ErrorNotReady);
    }

    [Fact]
    public void An_ipc_handle_is_64_bytes()
    {
        // CU_IPC_HANDLE_SIZE: the struct travels by value, so its size is its ABI.
        Assert.Equal(64, Unsafe.SizeOf<CuIpcMemHandle>());
        Assert.Equal(64, CuIpcMemHandle.Bytes);
    }
}
