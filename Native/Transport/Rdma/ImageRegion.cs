using System.Runtime.InteropServices;

namespace BlitzScale.Native.Transport.Rdma;

/// <summary>
/// Where the bytes of an image are in memory, for registering them with the NIC: an RDMA work request names
/// addresses, so both ends need the image as one contiguous native range (as <see cref="ImageSink"/> and
/// <see cref="ImageSource"/> hold it), not a managed array that could move.
/// </summary>
internal static unsafe class ImageRegion
{
    /// <summary>The memory of blobs <c>[plan.FirstBlob, plan.EndBlob)</c> of the target, as one range.</summary>
    /// <exception cref="ArgumentException">The target's blobs are not one contiguous native range.</exception>
    public static (nint Address, long ImageOffset, long Length) Of(IBlobSink target, ChunkPlan plan, string peer)
    {
        var blobs = target.Layout.Blobs;
        long imageOffset = blobs[plan.FirstBlob].Offset;
        var last = blobs[plan.EndBlob - 1];
        nint address = Address(target.ChunkMemory(plan.FirstBlob, 0, 0), peer);
        for (int b = plan.FirstBlob + 1; b < plan.EndBlob; b++)
        {
            if (Address(target.ChunkMemory(b, 0, 0), peer) != address + (nint)(blobs[b].Offset - imageOffset))
                throw new ArgumentException($"RDMA from {peer} writes into one registered region, but blob {b} of the target is not where a contiguous image would hold it", nameof(target));
        }
        return (address, imageOffset, last.Offset + last.ByteLength - imageOffset);
    }

    /// <summary>The native address of <paramref name="memory"/>.</summary>
    /// <exception cref="ArgumentException">It is a managed array, which the garbage collector may move while the NIC reads or writes it.</exception>
    public static nint Address(Memory<byte> memory, string what)
    {
        // An empty slice of native memory reports itself as an empty array segment; only a real array is refused.
        if (MemoryMarshal.TryGetArray((ReadOnlyMemory<byte>)memory, out var array) && array.Array is { Length: > 0 })
            throw new ArgumentException($"RDMA with {what} needs image memory in native memory; these bytes are a managed array, which may move");
        // Pinning native memory (a NativeMemoryWindow) is free and the address stays valid after the handle goes.
        using var pinned = memory.Pin();
        return (nint)pinned.Pointer;
    }
}
