using BlitzScale.Native.Cuda.Interop;

namespace BlitzScale.Native.Cuda;

/// <summary>
/// A device's primary context (the one cuBLAS and the runtime API share), retained for the life of this object.
/// Every operation of the buffers, streams and handles made from it first makes it current on the calling thread
/// (a thread-local check, so that costs nothing when it already is), so they may be used from any thread.
/// </summary>
public sealed class CudaContext : IDisposable
{
    // The context last made current on each thread; saves a driver call per operation.
    [ThreadStatic]
    private static nint t_current;

    private static readonly Lock s_openGate = new();
    private static readonly List<CudaContext> s_open = [];

    private readonly DeviceInfo _device;
    private nint _handle;

    private CudaContext(DeviceInfo device, nint handle)
    {
        _device = device;
        _handle = handle;
    }

    /// <summary>Retains device <paramref name="device"/>'s primary context and makes it current on this thread.</summary>
    /// <exception cref="CudaUnavailableException">No driver, cuInit failed or no device: the message starts with "no CUDA device".</exception>
    /// <exception cref="ArgumentOutOfRangeException">There is no device with that ordinal.</exception>
    /// <exception cref="CudaException">A driver call failed.</exception>
    public static unsafe CudaContext Open(int device = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(device);
        int count = DeviceInfo.InitializeAndCount();
        if (device >= count)
            throw new ArgumentOutOfRangeException(nameof(device), $"CUDA device {device} requested; the driver reports {count} device(s)");
        var info = DeviceInfo.Query(device);
        nint handle;
        CudaCheck.Driver(CuDriver.cuDevicePrimaryCtxRetain(&handle, info.Handle), "cuDevicePrimaryCtxRetain", $"device {device}");
        var context = new CudaContext(info, handle);
        context.MakeCurrent();
        lock (s_openGate) s_open.Add(context);
        return context;
    }

    /// <summary>The device ordinal.</summary>
    public int Device => _device.Ordinal;
    /// <summary>The device's name, e.g. <c>NVIDIA H200</c>.</summary>
    public string Name => _device.Name;
    /// <summary>Compute capability, major part.</summary>
    public int ComputeMajor => _device.ComputeMajor;
    /// <summary>Compute capability, minor part.</summary>
    public int ComputeMinor => _device.ComputeMinor;
    /// <summary>The architecture NVRTC compiles cubins for, e.g. <c>sm_90</c>.</summary>
    public string Arch => _device.Arch;
    /// <summary>The device's memory.</summary>
    public long TotalMemoryBytes => _device.TotalMemoryBytes;

    internal nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(CudaContext));
    internal bool IsDisposed => _handle == 0;

    /// <summary>Makes this context current on the calling thread (cuCtxSetCurrent), unless it already is.</summary>
    public void MakeCurrent()
    {
        nint handle = Handle;
        if (t_current == handle) return;
        CudaCheck.Driver(CuDriver.cuCtxSetCurrent(handle), "cuCtxSetCurrent");
        t_current = handle;
    }

    /// <summary>Waits for all work on the device in this context (cuCtxSynchronize); asynchronous errors surface here.</summary>
    public void Synchronize()
    {
        MakeCurrent();
        CudaCheck.Driver(CuDriver.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    /// <summary>Bytes of device memory free now and in total (cuMemGetInfo_v2).</summary>
    public unsafe (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        nuint free, total;
        CudaCheck.Driver(CuDriver.cuMemGetInfo_v2(&free, &total), "cuMemGetInfo_v2");
        return ((long)free, (long)total);
    }

    /// <summary>Creates a stream that orders with the legacy NULL stream (so the synchronous copies order with it too).</summary>
    public unsafe CudaStream CreateStream()
    {
        MakeCurrent();
        nint stream;
        CudaCheck.Driver(CuDriver.cuStreamCreate(&stream, CuFlags.StreamDefault), "cuStreamCreate");
        return new CudaStream(this, stream);
    }

    /// <summary>Creates an event; <paramref name="timing"/> false makes it cheaper when it only orders work.</summary>
    public CudaEvent CreateEvent(bool timing = true) => CudaEvent.Create(this, timing);

    /// <summary>Allocates <paramref name="bytes"/> of device memory (cuMemAlloc_v2; 256-byte aligned, not zeroed).</summary>
    /// <exception cref="CudaException">CUDA_ERROR_OUT_OF_MEMORY and the like.</exception>
    public unsafe DeviceBuffer Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        MakeCurrent();
        ulong pointer;
        int result = CuDriver.cuMemAlloc_v2(&pointer, (nuint)bytes);
        if (result != CuResultNames.Success) throw CudaCheck.DriverError(result, "cuMemAlloc_v2", $"{bytes} bytes on device {Device}");
        return new DeviceBuffer(this, pointer, bytes, DeviceBuffer.Ownership.Allocated);
    }

    /// <summary>Allocates <paramref name="bytes"/> of page-locked host memory, pinned for every context (cuMemHostAlloc, PORTABLE).</summary>
    public unsafe PinnedBuffer AllocatePinned(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        MakeCurrent();
        void* pointer;
        int result = CuDriver.cuMemHostAlloc(&pointer, (nuint)bytes, CuFlags.MemHostAllocPortable);
        if (result != CuResultNames.Success) throw CudaCheck.DriverError(result, "cuMemHostAlloc", $"{bytes} bytes");
        return new PinnedBuffer(this, (nint)pointer, bytes);
    }

    /// <summary>
    /// The context that calls which take none use (<see cref="HostRegistration.Register(nint, long)"/>,
    /// <see cref="CudaModule.Load(byte[])"/>, …): the most recently opened one that is still open.
    /// </summary>
    /// <exception cref="InvalidOperationException">None is open.</exception>
    internal static CudaContext Ambient(string call)
    {
        lock (s_openGate)
        {
            return s_open.Count > 0
                ? s_open[^1]
                : throw new InvalidOperationException($"{call} needs an open CUDA context: call CudaContext.Open first");
        }
    }

    /// <summary>Releases the primary context (cuDevicePrimaryCtxRelease_v2); the device resets when the last holder releases it.</summary>
    public void Dispose()
    {
        nint handle = Interlocked.Exchange(ref _handle, 0);
        if (handle == 0) return;
        lock (s_openGate) s_open.Remove(this);
        if (t_current == handle) t_current = 0;
        CudaCheck.Release(CuDriver.cuDevicePrimaryCtxRelease_v2(_device.Handle), "cuDevicePrimaryCtxRelease_v2");
    }
}
