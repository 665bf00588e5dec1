using System.Buffers.Binary;

namespace BlitzScale.Native.Transport.SharedMemory;

/// <summary>A server frame's 32-byte header (layout in <see cref="SharedMemoryWire"/>).</summary>
internal readonly record struct SlotFrame(SlotFrameKind Kind, int Slot, int Blob, int Length, long OffsetInBlob, ulong Hash)
{
    public static SlotFrame Chunk(int slot, ChunkRef chunk, ulong hash) =>
        new(SlotFrameKind.Chunk, slot, chunk.Blob, chunk.Length, chunk.OffsetInBlob, hash);

    public static SlotFrame Ring(int slots, int slotBytes, int nameBytes) =>
        new(SlotFrameKind.Ring, slots, 0, nameBytes, slotBytes, 0);

    public static SlotFrame Message(SlotFrameKind kind, int messageBytes) => new(kind, 0, -1, messageBytes, 0, 0);

    public void Write(Span<byte> frame)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(frame, SharedMemoryWire.FrameMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(frame[4..], (ushort)Kind);
        BinaryPrimitives.WriteUInt16LittleEndian(frame[6..], (ushort)Slot);
        BinaryPrimitives.WriteInt32LittleEndian(frame[8..], Blob);
        BinaryPrimitives.WriteInt32LittleEndian(frame[12..], Length);
        BinaryPrimitives.WriteInt64LittleEndian(frame[16..], OffsetInBlob);
        BinaryPrimitives.WriteUInt64LittleEndian(frame[24..], Hash);
    }

    /// <summary>Parses a frame; null when the magic is wrong.</summary>
    public static SlotFrame? Read(ReadOnlySpan<byte> frame) =>
        BinaryPrimitives.ReadUInt32LittleEndian(frame) != SharedMemoryWire.FrameMagic
            ? null
            : new SlotFrame(
                (SlotFrameKind)BinaryPrimitives.ReadUInt16LittleEndian(frame[4..]),
                BinaryPrimitives.ReadUInt16LittleEndian(frame[6..]),
                BinaryPrimitives.ReadInt32LittleEndian(frame[8..]),
                BinaryPrimitives.ReadInt32LittleEndian(frame[12..]),
                BinaryPrimitives.ReadInt64LittleEndian(frame[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(frame[24..]));
}

/// <summary>A client's 16-byte slot release (layout in <see cref="SharedMemoryWire"/>).</summary>
internal readonly record struct SlotRelease(int Slot, bool Refetch)
{
    public void Write(Span<byte> frame)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(frame, SharedMemoryWire.ReleaseMagic);
        BinaryPrimitives.WriteInt32LittleEndian(frame[4..], Slot);
        BinaryPrimitives.WriteInt32LittleEndian(frame[8..], Refetch ? 1 : 0);
        BinaryPrimitives.WriteInt32LittleEndian(frame[12..], 0);
    }

    /// <summary>Parses a release; null when the magic or the flag is wrong.</summary>
    public static SlotRelease? Read(ReadOnlySpan<byte> frame)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(frame) != SharedMemoryWire.ReleaseMagic) return null;
        int refetch = BinaryPrimitives.ReadInt32LittleEndian(frame[8..]);
        return refetch is 0 or 1 ? new SlotRelease(BinaryPrimitives.ReadInt32LittleEndian(frame[4..]), refetch == 1) : null;
    }
}
