using System.Buffers;

namespace BlitzScale.Native.Transport;

/// <summary>
/// A <see cref="Memory{T}"/> view of native memory that never moves, so sockets can send from and receive into a
/// parameter image without copying. Pinning is free: the memory is not managed.
/// </summary>
internal sealed unsafe class NativeMemoryWindow(byte* pointer, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, length);
        return new MemoryHandle(pointer + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        // The image owns the memory.
    }
}
