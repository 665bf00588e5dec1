using System.Runtime.InteropServices;
using BlitzScale.Native.Cuda;

namespace BlitzScale.Native.Tests;

/// <summary>
/// The emulator is what these tests run on, and it is as strict as a GPU where our code could go wrong unseen on a
/// lenient one: queued work runs late, barriers must be reached by all threads, launch bounds hold.
/// </summary>
public sealed class EmulatorTests
{
    [Fact]
    public void The_device_of_this_process_is_the_emulator()
    {
        var probe = CudaRuntime.Probe();
        Assert.True(probe.Available, probe.Reason);
        Assert.Contains("emulator", probe.DeviceName);
        Assert.Equal((9, 0), (probe.ComputeMajor, probe.ComputeMinor));
    }

    [Fact]
    public void It_has_two_devices_each_with_its_own_context_and_no_third()
    {
        // Two, as the grid's test hosts have two GPUs each (Grains.Emulated.Tests loads onto gpu1).
        Assert.Equal(2, CudaRuntime.Probe().DeviceCount);
        using var first = CudaContext.Open(0);
        using var second = CudaContext.Open(1);
        Assert.Equal((0, 1), (first.Device, second.Device));
        Assert.NotEqual(first.Handle, second.Handle);
        // Each buffer makes its own context current: memory of both devices is usable from one thread.
        using var a = first.Allocate(256);
        using var b = second.Allocate(256);
        b.CopyFrom(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
        a.CopyFrom(b, 0, 0, 256);
        var back = new byte[256];
        a.CopyTo(back);
        Assert.Equal(Enumerable.Range(0, 256).Select(i => (byte)i), back);
        Assert.Throws<ArgumentOutOfRangeException>(() => CudaContext.Open(2));
    }

    [Fact]
    public void Work_queued_on_a_stream_runs_only_when_waited_for()
    {
        using var context = CudaContext.Open();
        using var device = context.Allocate(4096);
        device.CopyFrom(Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray());
        using var pinned = context.AllocatePinned(4096);
        using var stream = context.CreateStream();
        pinned.Span(0, 4096).Clear();

        device.CopyToAsync(pinned, 0, 0, 4096, stream);
        Assert.All(pinned.Span(0, 4096).ToArray(), b => Assert.Equal(0, b));
        stream.Synchronize();
        Assert.Equal(Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)), pinned.Span(0, 4096).ToArray());
    }

    [Fact]
    public unsafe void Threads_that_would_wait_on_each_other_forever_fail_the_launch()
    {
        // Half of warp 0 waits at the barrier, the other half at a shuffle that needs the whole warp: on a GPU, a hang.
        const string Divergent = """
            extern "C" __global__ void divergent(float* x)
            {
                float v = x[threadIdx.x];
                if (threadIdx.x < 16) __syncthreads();
                else v = __shfl_xor_sync(0xffffffffu, v, 1);
                x[threadIdx.x] = v;
            }
            """;
        using (var context = CudaContext.Open())
        {
            using var module = CudaModule.Load(context, Nvrtc.CompileToCubin(Divergent, "divergent.cu", context.Arch, []));
            using var buffer = context.Allocate(128 * sizeof(float));
            ulong x = buffer.Pointer;
            Span<nint> arguments = [(nint)(&x)];
            module.Function("divergent").Launch((1, 1, 1), (128, 1, 1), 0, null, arguments);
            var error = Assert.Throws<CudaException>(context.Synchronize);
            Assert.Equal("CUDA_ERROR_LAUNCH_FAILED", error.ErrorName);
        }
        // As on a GPU the error is sticky until the context is destroyed; released above, a new one works.
        using var fresh = CudaContext.Open();
        fresh.Synchronize();
    }

    [Fact]
    public unsafe void A_launch_past_the_kernels_launch_bounds_is_refused()
    {
        const string Bounded = """
            extern "C" __global__ void __launch_bounds__(64) bounded(float* x) { x[threadIdx.x] = 2.0f; }
            """;
        using var context = CudaContext.Open();
        using var module = CudaModule.Load(context, Nvrtc.CompileToCubin(Bounded, "bounded.cu", context.Arch, []));
        using var buffer = context.Allocate(128 * sizeof(float));
        ulong x = buffer.Pointer;
        Span<nint> arguments = [(nint)(&x)];
        var function = module.Function("bounded");
        CudaException? error = null;
        try
        {
            function.Launch((1, 1, 1), (128, 1, 1), 0, null, arguments);
        }
        catch (CudaException e)
        {
            error = e;
        }
        Assert.Equal("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", error?.ErrorName);

        function.Launch((1, 1, 1), (64, 1, 1), 0, null, arguments);
        context.Synchronize();
        var values = new float[64];
        buffer.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        Assert.All(values, v => Assert.Equal(2.0f, v));
    }
}
