namespace BlitzScale.Native.Cuda.Interop;

/// <summary>
/// Names of cublasStatus_t codes (cublas_api.h). The library's <c>cublasGetStatusName</c> is asked first when it is
/// loaded; this table answers otherwise.
/// </summary>
internal static class CublasStatusNames
{
    public const int Success = 0;

    private static readonly Dictionary<int, string> s_names = new()
    {
        [0] = "CUBLAS_STATUS_SUCCESS",
        [1] = "CUBLAS_STATUS_NOT_INITIALIZED",
        [3] = "CUBLAS_STATUS_ALLOC_FAILED",
        [7] = "CUBLAS_STATUS_INVALID_VALUE",
        [8] = "CUBLAS_STATUS_ARCH_MISMATCH",
        [11] = "CUBLAS_STATUS_MAPPING_ERROR",
        [13] = "CUBLAS_STATUS_EXECUTION_FAILED",
        [14] = "CUBLAS_STATUS_INTERNAL_ERROR",
        [15] = "CUBLAS_STATUS_NOT_SUPPORTED",
        [16] = "CUBLAS_STATUS_LICENSE_ERROR",
    };

    public static string FromTable(int code) => s_names.GetValueOrDefault(code) ?? $"CUBLAS_STATUS_{code}";

    public static unsafe string Of(int code)
    {
        if (!Cublas.Binding.TryLoad(out _)) return FromTable(code);
        try
        {
            byte* name = Cublas.cublasGetStatusName(code);
            // Unknown codes come back as a placeholder; the table's fallback is as good and stable.
            if (name != null && s_names.ContainsKey(code)) return new string((sbyte*)name);
        }
        catch (CudaUnavailableException)
        {
        }
        return FromTable(code);
    }
}
