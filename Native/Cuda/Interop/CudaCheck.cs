namespace BlitzScale.Native.Cuda.Interop;

/// <summary>Turns failed CUresult, cublasStatus_t and nvrtcResult codes into <see cref="CudaException"/>s naming the call.</summary>
internal static class CudaCheck
{
    /// <summary>Throws unless a driver call returned CUDA_SUCCESS.</summary>
    public static void Driver(int result, string call, string? detail = null)
    {
        if (result != CuResultNames.Success) throw DriverError(result, call, detail);
    }

    /// <summary>
    /// For calls that release a resource (free, destroy, unload, unregister), made from Dispose: throws as
    /// <see cref="Driver"/> does, except for the errors that mean the context is lost. After a kernel fault every call
    /// of the context returns that sticky error, and the caller has already been told by the call that first saw it;
    /// the context takes its resources with it, so releasing them has nothing left to do, and throwing from Dispose
    /// would only replace the fault's exception and leak what the remaining Dispose calls would have released.
    /// </summary>
    public static void Release(int result, string call)
    {
        if (result != CuResultNames.Success && !CuResultNames.LosesContext(result)) throw DriverError(result, call);
    }

    public static CudaException DriverError(int result, string call, string? detail = null) =>
        new(call, result, CuResultNames.Of(result), detail);

    /// <summary>Throws unless a cuBLAS call returned CUBLAS_STATUS_SUCCESS.</summary>
    public static void Blas(int status, string call, string? detail = null)
    {
        if (status != CublasStatusNames.Success) throw new CudaException(call, status, CublasStatusNames.Of(status), detail);
    }

    /// <summary>Throws unless an NVRTC call returned NVRTC_SUCCESS.</summary>
    public static void Rtc(int result, string call, string? detail = null)
    {
        if (result != NvrtcResultNames.Success) throw new CudaException(call, result, NvrtcResultNames.Of(result), detail);
    }
}
