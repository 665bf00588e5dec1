using BlitzScale.Native.Cuda.Interop;

namespace BlitzScale.Native.Cuda;

/// <summary>A queue of device work (CUstream); made by <see cref="CudaContext.CreateStream"/>.</summary>
public sealed class CudaStream : IDisposable
{
    private nint _handle;

    internal CudaStream(CudaContext context, nint handle)
    {
        Context = context;
        _handle = handle;
    }

    /// <summary>The CUstream, for passing to kernels and libraries.</summary>
    public nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(CudaStream));

    internal CudaContext Context { get; }

    /// <summary>Waits until everything queued on the stream has run (cuStreamSynchronize).</summary>
    public void Synchronize()
    {
        Context.MakeCurrent();
        CudaCheck.Driver(CuDriver.cuStreamSynchronize(Handle), "cuStreamSynchronize");
    }

    /// <summary>Records a new (timing) event at the current end of the stream.</summary>
    public CudaEvent Record()
    {
        var recorded = CudaEvent.Create(Context, timing: true);
        recorded.Record(this);
        return recorded;
    }

    /// <summary>Makes later work on this stream wait until <paramref name="recorded"/> has completed (cuStreamWaitEvent), without blocking the host.</summary>
    public void Wait(CudaEvent recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        Context.MakeCurrent();
        CudaCheck.Driver(CuDriver.cuStreamWaitEvent(Handle, recorded.Handle, 0), "cuStreamWaitEvent");
    }

    /// <summary>Destroys the stream (cuStreamDestroy_v2); queued work still completes.</summary>
    public void Dispose()
    {
        nint handle = Interlocked.Exchange(ref _handle, 0);
        if (handle == 0 || Context.IsDisposed) return;
        Context.MakeCurrent();
        CudaCheck.Release(CuDriver.cuStreamDestroy_v2(handle), "cuStreamDestroy_v2");
    }
}
