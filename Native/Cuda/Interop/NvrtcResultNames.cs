namespace BlitzScale.Native.Cuda.Interop;

/// <summary>
/// Names of nvrtcResult codes (nvrtc.h). NVRTC's <c>nvrtcGetErrorString</c> returns these same names; it is asked
/// first when the library is loaded, this table answers otherwise.
/// </summary>
internal static class NvrtcResultNames
{
    public const int Success = 0;
    public const int ErrorCompilation = 6;

    private static readonly string[] s_names =
    [
        "NVRTC_SUCCESS",
        "NVRTC_ERROR_OUT_OF_MEMORY",
        "NVRTC_ERROR_PROGRAM_CREATION_FAILURE",
        "NVRTC_ERROR_INVALID_INPUT",
        "NVRTC_ERROR_INVALID_PROGRAM",
        "NVRTC_ERROR_INVALID_OPTION",
        "NVRTC_ERROR_COMPILATION",
        "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE",
        "NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION",
        "NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION",
        "NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID",
        "NVRTC_ERROR_INTERNAL_ERROR",
        "NVRTC_ERROR_TIME_FILE_WRITE_FAILED",
        "NVRTC_ERROR_NO_PCH_CREATE_ATTEMPTED",
        "NVRTC_ERROR_PCH_CREATE_HEURISTIC_EXCEEDED",
        "NVRTC_ERROR_PCH_CREATE",
        "NVRTC_ERROR_CANCELLED",
        "NVRTC_ERROR_TIME_TRACE_FILE_WRITE_FAILED",
    ];

    public static string FromTable(int code) => (uint)code < (uint)s_names.Length ? s_names[code] : $"NVRTC_ERROR_{code}";

    public static unsafe string Of(int code)
    {
        if ((uint)code < (uint)s_names.Length || !NvrtcApi.Binding.TryLoad(out _)) return FromTable(code);
        try
        {
            byte* name = NvrtcApi.nvrtcGetErrorString(code);
            if (name != null) return new string((sbyte*)name);
        }
        catch (CudaUnavailableException)
        {
        }
        return FromTable(code);
    }
}
