using System.Runtime.InteropServices;
using BlitzScale.Native.Cuda;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>NVRTC says whether it is here; where it is, it compiles a kernel and reports a broken one with its log.</summary>
public sealed class NvrtcTests
{
    private const string Scale = """
        extern "C" __global__ void scale(float* x, float factor, int n)
        {
            int i = blockIdx.x * blockDim.x + threadIdx.x;
            if (i < n) x[i] *= factor;
        }
        """;

    [Fact]
    public void Availability_matches_the_library_on_this_machine()
    {
        bool available = Nvrtc.IsAvailable(out string reason);
        Assert.False(string.IsNullOrWhiteSpace(reason));
        string[] sonames = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"];
        if (!sonames.Any(soname => NativeLibrary.TryLoad(soname, out _)))
        {
            Assert.False(available);
            Assert.StartsWith("NVRTC unavailable: libnvrtc.so.13 could not be loaded (", reason);
            Assert.EndsWith(", nor libnvrtc.so.12, nor libnvrtc.so.11.2", reason);
            var error = Assert.Throws<CudaUnavailableException>(() => Nvrtc.CompileToCubin(Scale, "scale.cu", "sm_90", []));
            Assert.Contains("libnvrtc.so.13", error.Message);
        }
        else
        {
            Assert.True(available, reason);
            Assert.StartsWith("NVRTC ", reason);
        }
    }

    [Fact]
    public void Only_real_architectures_compile_to_cubins()
    {
        var error = Assert.Throws<ArgumentException>(() => Nvrtc.CompileToCubin(Scale, "scale.cu", "compute_90", []));
        Assert.Contains("compute_90", error.Message);
    }

    [SkippableFact]
    public void Compiles_a_kernel_and_reports_a_broken_one_where_nvrtc_exists()
    {
        Skip.IfNot(Nvrtc.IsAvailable(out string reason), reason);
        var cubin = Nvrtc.CompileToCubin(Scale, "scale.cu", "sm_90", ["-std=c++17"]);
        Assert.True(cubin.Length > 0);
        // ELF magic: a cubin, not PTX.
        Assert.Equal(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }, cubin.AsSpan(0, 4).ToArray());

        var error = Assert.Throws<NvrtcCompileException>(() => Nvrtc.CompileToCubin("extern \"C\" __global__ void k() { undefined_thing; }", "broken.cu", "sm_90", []));
        Assert.Equal("NVRTC_ERROR_COMPILATION", error.ErrorName);
        Assert.Contains("undefined_thing", error.Log);
    }

    [SkippableFact]
    public unsafe void A_compiled_kernel_runs_where_a_device_exists()
    {
        var probe = CudaRuntime.Probe();
        Skip.IfNot(probe.Available, probe.Reason);
        Skip.IfNot(Nvrtc.IsAvailable(out string reason), reason);
        using var context = CudaContext.Open();
        using var module = CudaModule.Load(context, Nvrtc.CompileToCubin(Scale, "scale.cu", context.Arch, []));
        var kernel = module.Function("scale");
        var values = Enumerable.Range(0, 1000).Select(i => (float)i).ToArray();
        using var device = context.Allocate(values.Length * sizeof(float));
        device.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));

        ulong x = device.Pointer;
        float factor = 2.5f;
        int n = values.Length;
        Span<nint> arguments = [(nint)(&x), (nint)(&factor), (nint)(&n)];
        kernel.Launch(((uint)((n + 255) / 256), 1, 1), (256, 1, 1), 0, null, arguments);
        context.Synchronize();

        var result = new float[n];
        device.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        Assert.Equal(values.Select(v => v * 2.5f), result);
        var missing = Assert.Throws<CudaException>(() => module.Function("absent"));
        Assert.Equal("CUDA_ERROR_NOT_FOUND", missing.ErrorName);
    }
}
