namespace BlitzScale.Native.Cuda.Interop;

/// <summary>
/// Names of CUresult codes (cuda.h, CUDA 13). The driver's own <c>cuGetErrorName</c> is asked first; this table
/// answers when the driver is absent or does not know the code.
/// </summary>
internal static class CuResultNames
{
    public const int Success = 0;
    public const int ErrorNotReady = 600;

    // The errors after which the context is unusable and every later call of it returns the same error (cuda.h:
    // "the CUDA context cannot be used ... must be terminated and relaunched"), and deinitialization.
    private static readonly HashSet<int> s_contextLost = [4, 214, 700, 702, 709, 710, 714, 715, 716, 717, 718, 719];

    /// <summary>Whether <paramref name="result"/> means the context is lost (a kernel fault), so its resources are gone.</summary>
    public static bool LosesContext(int result) => s_contextLost.Contains(result);

    private static readonly Dictionary<int, string> s_names = new()
    {
        [0] = "CUDA_SUCCESS",
        [1] = "CUDA_ERROR_INVALID_VALUE",
        [2] = "CUDA_ERROR_OUT_OF_MEMORY",
        [3] = "CUDA_ERROR_NOT_INITIALIZED",
        [4] = "CUDA_ERROR_DEINITIALIZED",
        [5] = "CUDA_ERROR_PROFILER_DISABLED",
        [34] = "CUDA_ERROR_STUB_LIBRARY",
        [46] = "CUDA_ERROR_DEVICE_UNAVAILABLE",
        [100] = "CUDA_ERROR_NO_DEVICE",
        [101] = "CUDA_ERROR_INVALID_DEVICE",
        [102] = "CUDA_ERROR_DEVICE_NOT_LICENSED",
        [200] = "CUDA_ERROR_INVALID_IMAGE",
        [201] = "CUDA_ERROR_INVALID_CONTEXT",
        [202] = "CUDA_ERROR_CONTEXT_ALREADY_CURRENT",
        [205] = "CUDA_ERROR_MAP_FAILED",
        [206] = "CUDA_ERROR_UNMAP_FAILED",
        [208] = "CUDA_ERROR_ALREADY_MAPPED",
        [209] = "CUDA_ERROR_NO_BINARY_FOR_GPU",
        [211] = "CUDA_ERROR_NOT_MAPPED",
        [214] = "CUDA_ERROR_ECC_UNCORRECTABLE",
        [216] = "CUDA_ERROR_CONTEXT_ALREADY_IN_USE",
        [217] = "CUDA_ERROR_PEER_ACCESS_UNSUPPORTED",
        [218] = "CUDA_ERROR_INVALID_PTX",
        [221] = "CUDA_ERROR_JIT_COMPILER_NOT_FOUND",
        [222] = "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
        [300] = "CUDA_ERROR_INVALID_SOURCE",
        [301] = "CUDA_ERROR_FILE_NOT_FOUND",
        [302] = "CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND",
        [303] = "CUDA_ERROR_SHARED_OBJECT_INIT_FAILED",
        [304] = "CUDA_ERROR_OPERATING_SYSTEM",
        [400] = "CUDA_ERROR_INVALID_HANDLE",
        [401] = "CUDA_ERROR_ILLEGAL_STATE",
        [500] = "CUDA_ERROR_NOT_FOUND",
        [600] = "CUDA_ERROR_NOT_READY",
        [700] = "CUDA_ERROR_ILLEGAL_ADDRESS",
        [701] = "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
        [702] = "CUDA_ERROR_LAUNCH_TIMEOUT",
        [704] = "CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED",
        [705] = "CUDA_ERROR_PEER_ACCESS_NOT_ENABLED",
        [708] = "CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE",
        [709] = "CUDA_ERROR_CONTEXT_IS_DESTROYED",
        [710] = "CUDA_ERROR_ASSERT",
        [712] = "CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED",
        [713] = "CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED",
        [714] = "CUDA_ERROR_HARDWARE_STACK_ERROR",
        [715] = "CUDA_ERROR_ILLEGAL_INSTRUCTION",
        [716] = "CUDA_ERROR_MISALIGNED_ADDRESS",
        [717] = "CUDA_ERROR_INVALID_ADDRESS_SPACE",
        [718] = "CUDA_ERROR_INVALID_PC",
        [719] = "CUDA_ERROR_LAUNCH_FAILED",
        [720] = "CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE",
        [800] = "CUDA_ERROR_NOT_PERMITTED",
        [801] = "CUDA_ERROR_NOT_SUPPORTED",
        [802] = "CUDA_ERROR_SYSTEM_NOT_READY",
        [803] = "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
        [804] = "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
        [999] = "CUDA_ERROR_UNKNOWN",
    };

    /// <summary>The built-in table's name for a code, or <c>CUDA_ERROR_{code}</c>.</summary>
    public static string FromTable(int code) => s_names.GetValueOrDefault(code) ?? $"CUDA_ERROR_{code}";

    /// <summary>The driver's name for a code when it is loaded and knows it; else the table's.</summary>
    public static unsafe string Of(int code)
    {
        if (!CuDriver.Binding.TryLoad(out _)) return FromTable(code);
        try
        {
            byte* name = null;
            if (CuDriver.cuGetErrorName(code, &name) == Success && name != null)
                return new string((sbyte*)name);
        }
        catch (CudaUnavailableException)
        {
            // A driver without cuGetErrorName: the table answers.
        }
        return FromTable(code);
    }
}
