using BlitzScale.Native.Cuda.Interop;

namespace BlitzScale.Native.Cuda;

/// <summary>
/// One device allocation: made by <see cref="CudaContext.Allocate"/>, or mapped from another process by
/// <c>CudaIpc.Open</c>. Synchronous copies go through the legacy NULL stream, so they order with the streams of
/// <see cref="CudaContext.CreateStream"/>. Not finalized: dispose it (device memory outlives no one's interest).
/// </summary>
public sealed unsafe class DeviceBuffer : IDisposable
{
    internal enum Ownership
    {
        /// <summary>cuMemAlloc_v2: freed with cuMemFree_v2.</summary>
        Allocated,
        /// <summary>cuIpcOpenMemHandle_v2: another process owns it; closed with cuIpcCloseMemHandle, never freed.</summary>
        IpcMapped,
    }

    private readonly Ownership _ownership;
    private ulong _pointer;

    internal DeviceBuffer(CudaContext context, ulong pointer, long bytes, Ownership ownership)
    {
        Context = context;
        _pointer = pointer;
        Bytes = bytes;
        _ownership = ownership;
    }

    /// <summary>The device address of the first byte.</summary>
    public ulong Pointer => _pointer != 0 ? _pointer : throw new ObjectDisposedException(nameof(DeviceBuffer));

    /// <summary>Size in bytes.</summary>
    public long Bytes { get; }

    internal CudaContext Context { get; }

    /// <summary>The device address of byte <paramref name="offset"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The offset is outside <c>[0, Bytes)</c>.</exception>
    public ulong At(long offset)
    {
        if ((ulong)offset >= (ulong)Bytes)
            throw new ArgumentOutOfRangeException(nameof(offset), $"offset {offset} is outside the {Bytes}-byte device buffer");
        return Pointer + (ulong)offset;
    }

    /// <summary>The device address of bytes <c>[offset, offset + length)</c>, checked to lie inside the buffer.</summary>
    public ulong At(long offset, long length)
    {
        CheckRange(offset, length, nameof(offset));
        return Pointer + (ulong)offset;
    }

    /// <summary>Copies host bytes (any memory) to <c>[offset, offset + source.Length)</c>; returns when they have landed.</summary>
    public void CopyFrom(ReadOnlySpan<byte> source, long offset = 0)
    {
        CheckRange(offset, source.Length, nameof(offset));
        if (source.IsEmpty) return;
        Context.MakeCurrent();
        fixed (byte* host = source)
            CudaCheck.Driver(CuDriver.cuMemcpyHtoD_v2(Pointer + (ulong)offset, host, (nuint)source.Length), "cuMemcpyHtoD_v2");
    }

    /// <summary>Copies <c>[offset, offset + destination.Length)</c> to host memory; returns when it has arrived.</summary>
    public void CopyTo(Span<byte> destination, long offset = 0)
    {
        CheckRange(offset, destination.Length, nameof(offset));
        if (destination.IsEmpty) return;
        Context.MakeCurrent();
        fixed (byte* host = destination)
            CudaCheck.Driver(CuDriver.cuMemcpyDtoH_v2(host, Pointer + (ulong)offset, (nuint)destination.Length), "cuMemcpyDtoH_v2");
    }

    /// <summary>Queues a copy of pinned host bytes to <c>[offset, offset + bytes)</c> on <paramref name="stream"/>.</summary>
    public void CopyFromAsync(PinnedBuffer source, long sourceOffset, long offset, long bytes, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(stream);
        nint host = source.At(sourceOffset, bytes);
        CheckRange(offset, bytes, nameof(offset));
        if (bytes == 0) return;
        Context.MakeCurrent();
        CudaCheck.Driver(CuDriver.cuMemcpyHtoDAsync_v2(Pointer + (ulong)offset, (void*)host, (nuint)bytes, stream.Handle), "cuMemcpyHtoDAsync_v2");
    }

    /// <summary>Queues a copy of <c>[offset, offset + bytes)</c> into pinned host memory on <paramref name="stream"/>.</summary>
    public void CopyToAsync(PinnedBuffer destination, long destinationOffset, long offset, long bytes, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(stream);
        nint host = destination.At(destinationOffset, bytes);
        CheckRange(offset, bytes, nameof(offset));
        if (bytes == 0) return;
        Context.MakeCurrent();
        CudaCheck.Driver(CuDriver.cuMemcpyDtoHAsync_v2((void*)host, Pointer + (ulong)offset, (nuint)bytes, stream.Handle), "cuMemcpyDtoHAsync_v2");
    }

    /// <summary>
    /// Copies <c>[sourceOffset, sourceOffset + bytes)</c> of another device buffer to <c>[offset, offset + bytes)</c>
    /// (cuMemcpyDtoD_v2). The copy is ordered on the NULL stream: later copies and kernels see it; the host does not wait.
    /// </summary>
    public void CopyFrom(DeviceBuffer source, long sourceOffset, long offset, long bytes)
    {
        ArgumentNullException.ThrowIfNull(source);
        source.CheckRange(sourceOffset, bytes, nameof(sourceOffset));
        CheckRange(offset, bytes, nameof(offset));
        if (bytes == 0) return;
        Context.MakeCurrent();
        CudaCheck.Driver(CuDriver.cuMemcpyDtoD_v2(Pointer + (ulong)offset, source.Pointer + (ulong)sourceOffset, (nuint)bytes), "cuMemcpyDtoD_v2");
    }

    /// <summary>Queues a device-to-device copy on <paramref name="stream"/> (cuMemcpyDtoDAsync_v2).</summary>
    public void CopyFromAsync(DeviceBuffer source, long sourceOffset, long offset, long bytes, CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(stream);
        source.CheckRange(sourceOffset, bytes, nameof(sourceOffset));
        CheckRange(offset, bytes, nameof(offset));
        if (bytes == 0) return;
        Context.MakeCurrent();
        CudaCheck.Driver(CuDriver.cuMemcpyDtoDAsync_v2(Pointer + (ulong)offset, source.Pointer + (ulong)sourceOffset, (nuint)bytes, stream.Handle),
            "cuMemcpyDtoDAsync_v2");
    }

    /// <summary>Sets every byte to zero (cuMemsetD8_v2, ordered on the NULL stream like <see cref="CopyFrom(DeviceBuffer, long, long, long)"/>).</summary>
    public void Zero()
    {
        Context.MakeCurrent();
        CudaCheck.Driver(CuDriver.cuMemsetD8_v2(Pointer, 0, (nuint)Bytes), "cuMemsetD8_v2");
    }

    internal void CheckRange(long offset, long length, string parameter)
    {
        if (offset < 0 || length < 0 || offset > Bytes - length)
            throw new ArgumentOutOfRangeException(parameter, $"bytes {offset}..{offset + length} are outside the {Bytes}-byte device buffer");
    }

    /// <summary>Frees the memory, or unmaps it when it was opened from another process's IPC handle.</summary>
    public void Dispose()
    {
        ulong pointer = Interlocked.Exchange(ref _pointer, 0);
        // A released primary context has taken its allocations with it.
        if (pointer == 0 || Context.IsDisposed) return;
        Context.MakeCurrent();
        if (_ownership == Ownership.IpcMapped)
            CudaCheck.Release(CuDriver.cuIpcCloseMemHandle(pointer), "cuIpcCloseMemHandle");
        else
            CudaCheck.Release(CuDriver.cuMemFree_v2(pointer), "cuMemFree_v2");
    }
}
