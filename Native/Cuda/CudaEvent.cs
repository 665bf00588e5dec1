using BlitzScale.Native.Cuda.Interop;

namespace BlitzScale.Native.Cuda;

/// <summary>A point in a stream (CUevent): to wait for, to order another stream after, or to time between.</summary>
public sealed class CudaEvent : IDisposable
{
    private readonly CudaContext _context;
    private nint _handle;

    private CudaEvent(CudaContext context, nint handle)
    {
        _context = context;
        _handle = handle;
    }

    internal static unsafe CudaEvent Create(CudaContext context, bool timing)
    {
        context.MakeCurrent();
        nint handle;
        CudaCheck.Driver(CuDriver.cuEventCreate(&handle, timing ? CuFlags.EventDefault : CuFlags.EventDisableTiming), "cuEventCreate");
        return new CudaEvent(context, handle);
    }

    internal nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(CudaEvent));

    /// <summary>Re-records this event at the current end of <paramref name="stream"/> (cuEventRecord).</summary>
    public void Record(CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _context.MakeCurrent();
        CudaCheck.Driver(CuDriver.cuEventRecord(Handle, stream.Handle), "cuEventRecord");
    }

    /// <summary>Whether the work before the event has completed (cuEventQuery); true for an event never recorded.</summary>
    public bool IsComplete
    {
        get
        {
            _context.MakeCurrent();
            int result = CuDriver.cuEventQuery(Handle);
            if (result == CuResultNames.ErrorNotReady) return false;
            CudaCheck.Driver(result, "cuEventQuery");
            return true;
        }
    }

    /// <summary>Waits until the work before the event has completed (cuEventSynchronize).</summary>
    public void Synchronize()
    {
        _context.MakeCurrent();
        CudaCheck.Driver(CuDriver.cuEventSynchronize(Handle), "cuEventSynchronize");
    }

    /// <summary>Milliseconds from <paramref name="since"/> to this event (cuEventElapsedTime; both must have completed and have timing).</summary>
    public unsafe float ElapsedMilliseconds(CudaEvent since)
    {
        ArgumentNullException.ThrowIfNull(since);
        _context.MakeCurrent();
        float milliseconds;
        CudaCheck.Driver(CuDriver.cuEventElapsedTime(&milliseconds, since.Handle, Handle), "cuEventElapsedTime");
        return milliseconds;
    }

    /// <summary>Destroys the event (cuEventDestroy_v2).</summary>
    public void Dispose()
    {
        nint handle = Interlocked.Exchange(ref _handle, 0);
        if (handle == 0 || _context.IsDisposed) return;
        _context.MakeCurrent();
        CudaCheck.Release(CuDriver.cuEventDestroy_v2(handle), "cuEventDestroy_v2");
    }
}
