using BlitzScale.Native.Cuda.Interop;

namespace BlitzScale.Native.Cuda;

/// <summary>
/// Page-locked host memory (cuMemHostAlloc, portable): the DMA engines read and write it directly, so async copies
/// from and to it overlap with the host and reach the link's full rate. Not finalized: dispose it.
/// </summary>
public sealed unsafe class PinnedBuffer : IDisposable
{
    private readonly CudaContext _context;
    private nint _pointer;

    internal PinnedBuffer(CudaContext context, nint pointer, long bytes)
    {
        _context = context;
        _pointer = pointer;
        Bytes = bytes;
    }

    /// <summary>The host address of the first byte.</summary>
    public nint Pointer => _pointer != 0 ? _pointer : throw new ObjectDisposedException(nameof(PinnedBuffer));

    /// <summary>Size in bytes.</summary>
    public long Bytes { get; }

    /// <summary>Bytes <c>[offset, offset + length)</c> as a span.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the buffer.</exception>
    public Span<byte> Span(long offset, int length) => new((void*)At(offset, length), length);

    internal nint At(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Bytes - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"bytes {offset}..{offset + length} are outside the {Bytes}-byte pinned buffer");
        return Pointer + (nint)offset;
    }

    /// <summary>Frees the memory (cuMemFreeHost).</summary>
    public void Dispose()
    {
        nint pointer = Interlocked.Exchange(ref _pointer, 0);
        if (pointer == 0 || _context.IsDisposed) return;
        _context.MakeCurrent();
        CudaCheck.Release(CuDriver.cuMemFreeHost((void*)pointer), "cuMemFreeHost");
    }
}
