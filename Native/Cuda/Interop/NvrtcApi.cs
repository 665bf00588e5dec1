namespace BlitzScale.Native.Cuda.Interop;

/// <summary>
/// The NVRTC entry points we call (libnvrtc.so.13, else the CUDA 12 or 11.2+ one), resolved on first call. Each returns an nvrtcResult
/// (0 = success) except <see cref="nvrtcGetErrorString"/>. Programs are opaque pointers.
/// </summary>
internal static unsafe class NvrtcApi
{
    // nvrtcGetCUBIN arrived in 11.1; the 11.2 soname covers every 11.x from there (Debian's libnvrtc11.2 is 11.8).
    public static readonly NativeBinding Binding = new(["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"], "NVRTC unavailable");

    private static nint s_version, s_createProgram, s_compileProgram, s_getProgramLogSize, s_getProgramLog, s_getCubinSize,
        s_getCubin, s_destroyProgram, s_getErrorString;

    private static nint Fn(ref nint slot, string name) => Binding.Export(ref slot, name);

    public static int nvrtcVersion(int* major, int* minor) =>
        ((delegate* unmanaged<int*, int*, int>)Fn(ref s_version, "nvrtcVersion"))(major, minor);

    public static int nvrtcCreateProgram(nint* program, byte* source, byte* name, int headers, byte** headerSources, byte** includeNames) =>
        ((delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int>)Fn(ref s_createProgram, "nvrtcCreateProgram"))(
            program, source, name, headers, headerSources, includeNames);

    public static int nvrtcCompileProgram(nint program, int options, byte** optionStrings) =>
        ((delegate* unmanaged<nint, int, byte**, int>)Fn(ref s_compileProgram, "nvrtcCompileProgram"))(program, options, optionStrings);

    public static int nvrtcGetProgramLogSize(nint program, nuint* bytes) =>
        ((delegate* unmanaged<nint, nuint*, int>)Fn(ref s_getProgramLogSize, "nvrtcGetProgramLogSize"))(program, bytes);

    public static int nvrtcGetProgramLog(nint program, byte* log) =>
        ((delegate* unmanaged<nint, byte*, int>)Fn(ref s_getProgramLog, "nvrtcGetProgramLog"))(program, log);

    public static int nvrtcGetCUBINSize(nint program, nuint* bytes) =>
        ((delegate* unmanaged<nint, nuint*, int>)Fn(ref s_getCubinSize, "nvrtcGetCUBINSize"))(program, bytes);

    public static int nvrtcGetCUBIN(nint program, byte* cubin) =>
        ((delegate* unmanaged<nint, byte*, int>)Fn(ref s_getCubin, "nvrtcGetCUBIN"))(program, cubin);

    public static int nvrtcDestroyProgram(nint* program) =>
        ((delegate* unmanaged<nint*, int>)Fn(ref s_destroyProgram, "nvrtcDestroyProgram"))(program);

    public static byte* nvrtcGetErrorString(int result) =>
        ((delegate* unmanaged<int, byte*>)Fn(ref s_getErrorString, "nvrtcGetErrorString"))(result);
}
