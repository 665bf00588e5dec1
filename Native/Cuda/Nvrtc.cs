using System.Runtime.InteropServices;
using BlitzScale.Native.Cuda.Interop;

namespace BlitzScale.Native.Cuda;

/// <summary>Compiles CUDA C++ kernel sources to cubins at run time (NVRTC: libnvrtc.so.13, else .so.12, else .so.11.2).</summary>
public static class Nvrtc
{
    /// <summary>Whether NVRTC can be used here; <paramref name="reason"/> says which version, or why not.</summary>
    public static unsafe bool IsAvailable(out string reason)
    {
        if (!NvrtcApi.Binding.TryLoad(out string missing))
        {
            reason = $"NVRTC unavailable: {missing}";
            return false;
        }
        try
        {
            int major, minor;
            CudaCheck.Rtc(NvrtcApi.nvrtcVersion(&major, &minor), "nvrtcVersion");
            reason = $"NVRTC {major}.{minor}";
            return true;
        }
        catch (CudaException e)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>
    /// Compiles <paramref name="source"/> for <paramref name="arch"/> (a real architecture such as <c>sm_90</c>, as
    /// <see cref="CudaContext.Arch"/> gives) and returns the cubin, for <see cref="CudaModule.Load(byte[])"/>.
    /// <c>--gpu-architecture</c> is added from <paramref name="arch"/>; pass any other options (e.g. <c>-std=c++17</c>).
    /// </summary>
    /// <exception cref="NvrtcCompileException">The source did not compile; the exception carries the log.</exception>
    /// <exception cref="CudaUnavailableException">No NVRTC is on this machine.</exception>
    /// <exception cref="CudaException">Another NVRTC call failed.</exception>
    public static byte[] CompileToCubin(string source, string programName, string arch, IReadOnlyList<string> options) =>
        Compile(source, programName, arch, options).Cubin;

    /// <summary>
    /// As <see cref="CompileToCubin"/>, also returning NVRTC's log of a successful compile (warnings, and register and
    /// spill figures when the options include <c>--ptxas-options=-v</c>).
    /// </summary>
    public static unsafe NvrtcOutput Compile(string source, string programName, string arch, IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(programName);
        ArgumentException.ThrowIfNullOrEmpty(arch);
        ArgumentNullException.ThrowIfNull(options);
        if (!arch.StartsWith("sm_", StringComparison.Ordinal))
            throw new ArgumentException($"architecture \"{arch}\" is not a real architecture (sm_XY): only those compile to a cubin", nameof(arch));

        var all = new List<string>(options.Count + 1) { $"--gpu-architecture={arch}" };
        all.AddRange(options);
        using var strings = new Utf8Strings(all.Count + 2);
        byte* text = strings.Add(source);
        byte* name = strings.Add(programName);
        byte** optionStrings = stackalloc byte*[all.Count];
        for (int i = 0; i < all.Count; i++) optionStrings[i] = strings.Add(all[i]);

        nint program;
        CudaCheck.Rtc(NvrtcApi.nvrtcCreateProgram(&program, text, name, 0, null, null), "nvrtcCreateProgram", programName);
        try
        {
            int compiled = NvrtcApi.nvrtcCompileProgram(program, all.Count, optionStrings);
            if (compiled != NvrtcResultNames.Success)
                throw new NvrtcCompileException(programName, compiled, NvrtcResultNames.Of(compiled), Log(program, "(no compile log)"));
            nuint size;
            CudaCheck.Rtc(NvrtcApi.nvrtcGetCUBINSize(program, &size), "nvrtcGetCUBINSize", programName);
            var cubin = new byte[(int)size];
            fixed (byte* bytes = cubin)
                CudaCheck.Rtc(NvrtcApi.nvrtcGetCUBIN(program, bytes), "nvrtcGetCUBIN", programName);
            return new NvrtcOutput(cubin, Log(program, ""));
        }
        finally
        {
            NvrtcApi.nvrtcDestroyProgram(&program);
        }
    }

    private static unsafe string Log(nint program, string empty)
    {
        nuint size;
        if (NvrtcApi.nvrtcGetProgramLogSize(program, &size) != NvrtcResultNames.Success || size <= 1) return empty;
        var log = new byte[(int)size];
        fixed (byte* bytes = log)
        {
            if (NvrtcApi.nvrtcGetProgramLog(program, bytes) != NvrtcResultNames.Success) return "(the compile log could not be read)";
            return Marshal.PtrToStringUTF8((nint)bytes) ?? "";
        }
    }

    /// <summary>NUL-terminated UTF-8 copies of strings in native memory, freed together.</summary>
    private sealed unsafe class Utf8Strings(int capacity) : IDisposable
    {
        private readonly List<nint> _allocated = new(capacity);

        public byte* Add(string value)
        {
            nint copy = Marshal.StringToCoTaskMemUTF8(value);
            _allocated.Add(copy);
            return (byte*)copy;
        }

        public void Dispose()
        {
            foreach (nint copy in _allocated) Marshal.FreeCoTaskMem(copy);
        }
    }
}
