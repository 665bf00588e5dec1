using BlitzScale.Native.Cuda;
using BlitzScale.Native.Cuda.Interop;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>Error codes become messages naming the call and the code's name, with or without the libraries present.</summary>
public sealed class CudaErrorNameTests
{
    [Theory]
    [InlineData(0, "CUDA_SUCCESS")]
    [InlineData(1, "CUDA_ERROR_INVALID_VALUE")]
    [InlineData(2, "CUDA_ERROR_OUT_OF_MEMORY")]
    [InlineData(3, "CUDA_ERROR_NOT_INITIALIZED")]
    [InlineData(100, "CUDA_ERROR_NO_DEVICE")]
    [InlineData(101, "CUDA_ERROR_INVALID_DEVICE")]
    [InlineData(200, "CUDA_ERROR_INVALID_IMAGE")]
    [InlineData(201, "CUDA_ERROR_INVALID_CONTEXT")]
    [InlineData(209, "CUDA_ERROR_NO_BINARY_FOR_GPU")]
    [InlineData(400, "CUDA_ERROR_INVALID_HANDLE")]
    [InlineData(500, "CUDA_ERROR_NOT_FOUND")]
    [InlineData(600, "CUDA_ERROR_NOT_READY")]
    [InlineData(700, "CUDA_ERROR_ILLEGAL_ADDRESS")]
    [InlineData(701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES")]
    [InlineData(712, "CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED")]
    [InlineData(719, "CUDA_ERROR_LAUNCH_FAILED")]
    [InlineData(999, "CUDA_ERROR_UNKNOWN")]
    public void Driver_results_have_their_cuda_h_names(int code, string name)
    {
        Assert.Equal(name, CuResultNames.FromTable(code));
        // The driver's own name, where one is loaded, agrees with the table.
        Assert.Equal(name, CuResultNames.Of(code));
    }

    [Fact]
    public void Unknown_driver_results_keep_their_number()
    {
        Assert.Equal("CUDA_ERROR_12345", CuResultNames.FromTable(12345));
    }

    [Theory]
    [InlineData(0, "CUBLAS_STATUS_SUCCESS")]
    [InlineData(1, "CUBLAS_STATUS_NOT_INITIALIZED")]
    [InlineData(3, "CUBLAS_STATUS_ALLOC_FAILED")]
    [InlineData(7, "CUBLAS_STATUS_INVALID_VALUE")]
    [InlineData(8, "CUBLAS_STATUS_ARCH_MISMATCH")]
    [InlineData(11, "CUBLAS_STATUS_MAPPING_ERROR")]
    [InlineData(13, "CUBLAS_STATUS_EXECUTION_FAILED")]
    [InlineData(14, "CUBLAS_STATUS_INTERNAL_ERROR")]
    [InlineData(15, "CUBLAS_STATUS_NOT_SUPPORTED")]
    [InlineData(16, "CUBLAS_STATUS_LICENSE_ERROR")]
    public void Cublas_statuses_have_their_header_names(int code, string name)
    {
        Assert.Equal(name, CublasStatusNames.FromTable(code));
        Assert.Equal(name, CublasStatusNames.Of(code));
    }

    [Theory]
    [InlineData(0, "NVRTC_SUCCESS")]
    [InlineData(1, "NVRTC_ERROR_OUT_OF_MEMORY")]
    [InlineData(3, "NVRTC_ERROR_INVALID_INPUT")]
    [InlineData(5, "NVRTC_ERROR_INVALID_OPTION")]
    [InlineData(6, "NVRTC_ERROR_COMPILATION")]
    [InlineData(11, "NVRTC_ERROR_INTERNAL_ERROR")]
    public void Nvrtc_results_have_their_header_names(int code, string name)
    {
        Assert.Equal(name, NvrtcResultNames.FromTable(code));
        Assert.Equal(name, NvrtcResultNames.Of(code));
    }

    [Fact]
    public void A_failed_call_names_itself_and_its_error()
    {
        var error = Assert.Throws<CudaException>(() => CudaCheck.Driver(2, "cuMemAlloc_v2"));
        Assert.Equal("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2)", error.Message);
        Assert.Equal("cuMemAlloc_v2", error.Call);
        Assert.Equal(2, error.Code);
        Assert.Equal("CUDA_ERROR_OUT_OF_MEMORY", error.ErrorName);

        var blas = Assert.Throws<CudaException>(() => CudaCheck.Blas(7, "cublasGemmEx", "m=1 n=1 k=1"));
        Assert.Equal("cublasGemmEx failed: CUBLAS_STATUS_INVALID_VALUE (7): m=1 n=1 k=1", blas.Message);

        var rtc = new NvrtcCompileException("rmsnorm.cu", 6, "NVRTC_ERROR_COMPILATION", "rmsnorm.cu(3): error: identifier \"x\" is undefined");
        Assert.Equal("nvrtcCompileProgram", rtc.Call);
        Assert.Contains("compiling rmsnorm.cu", rtc.Message);
        Assert.Contains("identifier \"x\" is undefined", rtc.Message);
    }

    [Theory]
    [InlineData(719)] // CUDA_ERROR_LAUNCH_FAILED
    [InlineData(700)] // CUDA_ERROR_ILLEGAL_ADDRESS
    [InlineData(710)] // CUDA_ERROR_ASSERT
    public void Releasing_in_a_lost_context_does_not_throw(int sticky)
    {
        CudaCheck.Release(sticky, "cuMemFree_v2");
        CudaCheck.Release(0, "cuMemFree_v2");
    }

    [Theory]
    [InlineData(1)]   // CUDA_ERROR_INVALID_VALUE: a double free, say
    [InlineData(201)] // CUDA_ERROR_INVALID_CONTEXT
    [InlineData(701)] // CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: the launch failed, the context did not
    public void Releasing_with_any_other_error_throws(int result)
    {
        var error = Assert.Throws<CudaException>(() => CudaCheck.Release(result, "cuMemFree_v2"));
        Assert.Equal(("cuMemFree_v2", result), (error.Call, error.Code));
    }

    [Fact]
    public void Successes_do_not_throw()
    {
        CudaCheck.Driver(0, "cuInit");
        CudaCheck.Blas(0, "cublasCreate_v2");
        CudaCheck.Rtc(0, "nvrtcVersion");
    }
}
