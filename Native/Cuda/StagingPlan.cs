namespace BlitzScale.Native.Cuda;

/// <summary>
/// One step of a staged copy: bytes <c>[Offset, Offset + Length)</c> of the range go through staging slot
/// <see cref="Slot"/>. Before the slot is filled (upload) or read (download) again, the copy of chunk
/// <see cref="WaitsFor"/>, its previous user, must have completed; -1 when the slot is fresh.
/// </summary>
internal readonly record struct StagedChunk(int Index, int Slot, long Offset, int Length, int WaitsFor);

/// <summary>
/// How a byte range is cut into staged chunks: chunk i covers <c>[i·c, min((i+1)·c, bytes))</c> and uses slot
/// <c>i mod slots</c>, so consecutive chunks alternate between slots and one chunk's DMA overlaps the next chunk's
/// host copy. Pure arithmetic, so the schedule is tested without a device.
/// </summary>
internal readonly struct StagingPlan
{
    public StagingPlan(long bytes, int chunkBytes, int slots)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 2);
        Bytes = bytes;
        ChunkBytes = chunkBytes;
        Slots = slots;
        Count = checked((int)((bytes + chunkBytes - 1) / chunkBytes));
    }

    public long Bytes { get; }
    public int ChunkBytes { get; }
    public int Slots { get; }
    public int Count { get; }

    public StagedChunk this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            long offset = (long)index * ChunkBytes;
            int length = (int)Math.Min(ChunkBytes, Bytes - offset);
            return new StagedChunk(index, index % Slots, offset, length, index >= Slots ? index - Slots : -1);
        }
    }
}
