using BlitzScale.Native.Cuda.Interop;

namespace BlitzScale.Native.Cuda;

/// <summary>
/// Existing host memory (e.g. a ParameterImage's) page-locked in place for as long as this lives
/// (cuMemHostRegister_v2, portable): copies from it then run at the pinned rate without a staging copy. Registering
/// costs about 50 ms per GiB, so register long-lived memory once.
/// </summary>
public sealed unsafe class HostRegistration : IDisposable
{
    private readonly CudaContext _context;
    private nint _pointer;

    private HostRegistration(CudaContext context, nint pointer, long bytes)
    {
        _context = context;
        _pointer = pointer;
        Bytes = bytes;
    }

    /// <summary>The registered memory's first byte.</summary>
    public nint Pointer => _pointer;
    /// <summary>Bytes registered.</summary>
    public long Bytes { get; }

    /// <summary>Registers memory in the most recently opened <see cref="CudaContext"/>.</summary>
    /// <exception cref="InvalidOperationException">No context is open.</exception>
    /// <exception cref="CudaException">cuMemHostRegister_v2 failed (e.g. CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED).</exception>
    public static HostRegistration Register(nint pointer, long bytes) =>
        Register(CudaContext.Ambient("cuMemHostRegister_v2"), pointer, bytes);

    /// <summary>Registers <c>[pointer, pointer + bytes)</c>, which must stay allocated until this is disposed.</summary>
    public static HostRegistration Register(CudaContext context, nint pointer, long bytes)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (pointer == 0) throw new ArgumentNullException(nameof(pointer));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        context.MakeCurrent();
        CudaCheck.Driver(CuDriver.cuMemHostRegister_v2((void*)pointer, (nuint)bytes, CuFlags.MemHostRegisterPortable), "cuMemHostRegister_v2",
            $"{bytes} bytes at 0x{pointer:x}");
        return new HostRegistration(context, pointer, bytes);
    }

    /// <summary>Unregisters the memory (cuMemHostUnregister); the memory itself stays the caller's.</summary>
    public void Dispose()
    {
        nint pointer = Interlocked.Exchange(ref _pointer, 0);
        if (pointer == 0 || _context.IsDisposed) return;
        _context.MakeCurrent();
        CudaCheck.Release(CuDriver.cuMemHostUnregister((void*)pointer), "cuMemHostUnregister");
    }
}
