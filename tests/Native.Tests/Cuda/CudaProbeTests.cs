using System.Runtime.InteropServices;
using BlitzScale.Native.Cuda;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>
/// <see cref="CudaRuntime.Probe"/> and <see cref="CudaContext.Open"/> on whatever machine runs the tests: without a
/// driver they must say so precisely and never crash; with a device they must describe it and move bytes.
/// </summary>
public sealed class CudaProbeTests
{
    private static bool DriverLoads => NativeLibrary.TryLoad("libcuda.so.1", out _);

    [Fact]
    public void Probe_never_throws_and_names_what_is_missing()
    {
        var probe = CudaRuntime.Probe();

        Assert.False(string.IsNullOrWhiteSpace(probe.Reason));
        if (!DriverLoads)
        {
            Assert.False(probe.Available);
            Assert.StartsWith("no CUDA device: libcuda.so.1 could not be loaded (", probe.Reason);
            Assert.Equal(0, probe.DeviceCount);
            Assert.Null(probe.DeviceName);
        }
        else if (probe.Available)
        {
            Assert.True(probe.DeviceCount >= 1);
            Assert.False(string.IsNullOrEmpty(probe.DeviceName));
            Assert.True(probe.ComputeMajor >= 3, $"compute capability {probe.ComputeMajor}.{probe.ComputeMinor}");
            Assert.True(probe.TotalMemoryBytes > 0);
            Assert.Contains(probe.DeviceName!, probe.Reason);
        }
        else
        {
            // A driver without a usable device: the reason names the call that said so.
            Assert.Contains("no CUDA device", probe.Reason);
        }
    }

    [Fact]
    public void Probe_is_repeatable()
    {
        Assert.Equal(CudaRuntime.Probe(), CudaRuntime.Probe());
    }

    [Fact]
    public void Open_without_a_device_throws_a_clear_error()
    {
        var probe = CudaRuntime.Probe();
        if (probe.Available)
        {
            using var context = CudaContext.Open();
            Assert.Equal(probe.DeviceName, context.Name);
            Assert.Equal($"sm_{probe.ComputeMajor}{probe.ComputeMinor}", context.Arch);
            return;
        }
        var error = Assert.ThrowsAny<CudaException>(() => CudaContext.Open());
        Assert.IsType<CudaUnavailableException>(error);
        Assert.StartsWith("no CUDA device: ", error.Message);
        if (!DriverLoads) Assert.Contains("libcuda.so.1", error.Message);
    }

    [SkippableFact]
    public void Calls_that_need_a_context_say_so_when_none_is_open()
    {
        var probe = CudaRuntime.Probe();
        Skip.If(probe.Available, $"a CUDA device is present ({probe.Reason}): the no-context branch cannot be taken here");
        var error = Assert.Throws<InvalidOperationException>(() => HostRegistration.Register(1 << 20, 4096));
        Assert.Contains("cuMemHostRegister_v2", error.Message);
        Assert.Contains("CudaContext.Open", error.Message);
        Assert.Throws<InvalidOperationException>(() => CudaModule.Load([1, 2, 3]));
    }

    [SkippableFact]
    public void A_device_round_trips_bytes_through_every_copy_path()
    {
        var probe = CudaRuntime.Probe();
        Skip.IfNot(probe.Available, probe.Reason);
        using var context = CudaContext.Open();
        var bytes = new byte[3 << 20];
        new Random(5).NextBytes(bytes);

        using var device = context.Allocate(bytes.Length);
        device.CopyFrom(bytes);
        var back = new byte[bytes.Length];
        device.CopyTo(back);
        Assert.Equal(bytes, back);

        using var copy = context.Allocate(bytes.Length);
        copy.Zero();
        copy.CopyFrom(device, 1000, 0, bytes.Length - 1000);
        var shifted = new byte[bytes.Length];
        copy.CopyTo(shifted);
        Assert.Equal(bytes.AsSpan(1000).ToArray(), shifted.AsSpan(0, bytes.Length - 1000).ToArray());
        Assert.All(shifted.AsSpan(bytes.Length - 1000).ToArray(), b => Assert.Equal(0, b));

        using var pinned = context.AllocatePinned(4096);
        using var stream = context.CreateStream();
        bytes.AsSpan(0, 4096).CopyTo(pinned.Span(0, 4096));
        device.CopyFromAsync(pinned, 0, 8192, 4096, stream);
        // The copy reads the pinned bytes when the stream gets to it, not when it is queued: wait before reusing them.
        stream.Synchronize();
        pinned.Span(0, 4096).Clear();
        using var start = stream.Record();
        device.CopyToAsync(pinned, 0, 8192, 4096, stream);
        using var end = stream.Record();
        end.Synchronize();
        Assert.True(end.IsComplete);
        Assert.True(end.ElapsedMilliseconds(start) >= 0);
        Assert.Equal(bytes.AsSpan(0, 4096).ToArray(), pinned.Span(0, 4096).ToArray());
    }

    [SkippableFact]
    public void Device_ranges_are_checked()
    {
        var probe = CudaRuntime.Probe();
        Skip.IfNot(probe.Available, probe.Reason);
        using var context = CudaContext.Open();
        using var device = context.Allocate(1024);
        Assert.Equal(device.Pointer + 1023, device.At(1023));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.At(1024));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.CopyFrom(new byte[16], 1020));
        var error = Assert.Throws<CudaException>(() => context.Allocate(long.MaxValue / 2));
        Assert.Equal("cuMemAlloc_v2", error.Call);
        Assert.Equal("CUDA_ERROR_OUT_OF_MEMORY", error.ErrorName);
    }
}
