namespace BlitzScale.Native.Cuda;

/// <summary>
/// A CUDA driver, cuBLAS or NVRTC call failed. The message names the call and the error, e.g.
/// <c>cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2)</c>.
/// </summary>
public class CudaException : Exception
{
    /// <summary>Creates the exception with the standard message: <c>{call} failed: {errorName} ({code})</c>, then <paramref name="detail"/> if any.</summary>
    public CudaException(string call, int code, string errorName, string? detail = null)
        : this(call, code, errorName, $"{call} failed: {errorName} ({code})" + (string.IsNullOrEmpty(detail) ? "" : $": {detail}"), null)
    {
    }

    /// <summary>Creates the exception with a message of the caller's own.</summary>
    protected CudaException(string call, int code, string errorName, string message, Exception? innerException)
        : base(message, innerException)
    {
        Call = call;
        Code = code;
        ErrorName = errorName;
    }

    /// <summary>The native function that failed, e.g. <c>cuMemAlloc_v2</c>.</summary>
    public string Call { get; }
    /// <summary>Its result code (CUresult, cublasStatus_t or nvrtcResult; -1 when the library itself was missing).</summary>
    public int Code { get; }
    /// <summary>The code's name, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public string ErrorName { get; }
}

/// <summary>
/// The CUDA library a call needs is not on this machine (or lacks the function): the message starts with what is
/// missing, e.g. <c>no CUDA device: libcuda.so.1 could not be loaded (…)</c>.
/// </summary>
public sealed class CudaUnavailableException : CudaException
{
    /// <summary>Creates the exception for the call that could not be made.</summary>
    public CudaUnavailableException(string call, string message)
        : base(call, -1, "LIBRARY_UNAVAILABLE", message, null)
    {
    }

    /// <summary>Creates the exception for a call that ran but found no usable device (e.g. <c>cuInit</c> returning CUDA_ERROR_NO_DEVICE).</summary>
    public CudaUnavailableException(string call, int code, string errorName, string message)
        : base(call, code, errorName, message, null)
    {
    }
}

/// <summary>NVRTC could not compile a kernel source; <see cref="Log"/> holds the compiler's messages.</summary>
public sealed class NvrtcCompileException : CudaException
{
    /// <summary>Creates the exception; the log is appended to the message.</summary>
    public NvrtcCompileException(string programName, int code, string errorName, string log)
        : base("nvrtcCompileProgram", code, errorName,
            $"nvrtcCompileProgram failed: {errorName} ({code}) compiling {programName}:{Environment.NewLine}{log}", null)
    {
        ProgramName = programName;
        Log = log;
    }

    /// <summary>The program name the source was compiled under.</summary>
    public string ProgramName { get; }
    /// <summary>The compile log.</summary>
    public string Log { get; }
}
