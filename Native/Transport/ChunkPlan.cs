using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Transport;

/// <summary>
/// How a blob range is cut into chunks: blob by blob, at offsets 0, c, 2c, … of each blob (c the chunk size), the
/// last chunk of a blob shorter. Sender and receiver both derive it from the request, so a chunk header names a chunk
/// by (blob, offset, length) and either side can check it is one of the plan's.
/// </summary>
internal sealed class ChunkPlan
{
    // _firstChunk[b - FirstBlob] is the transfer-wide index of blob b's chunk 0; one extra entry holds Count.
    private readonly int[] _firstChunk;
    private readonly ImageLayout _layout;

    public ChunkPlan(ImageLayout layout, int firstBlob, int endBlob, int chunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(endBlob, layout.Blobs.Count);
        _layout = layout;
        FirstBlob = firstBlob;
        EndBlob = endBlob;
        ChunkBytes = chunkBytes;
        _firstChunk = new int[endBlob - firstBlob + 1];
        long chunks = 0;
        for (int b = firstBlob; b < endBlob; b++)
        {
            _firstChunk[b - firstBlob] = checked((int)chunks);
            long length = layout.Blobs[b].ByteLength;
            chunks += (length + chunkBytes - 1) / chunkBytes;
            Bytes += length;
        }
        Count = checked((int)chunks);
        _firstChunk[^1] = Count;
    }

    public static ChunkPlan For(TransferRequest request, ImageLayout layout) =>
        new(layout, request.FirstBlob, request.EndBlob, request.ChunkBytes);

    public int FirstBlob { get; }
    public int EndBlob { get; }
    public int ChunkBytes { get; }
    /// <summary>Chunks in the whole range.</summary>
    public int Count { get; }
    /// <summary>Bytes in the whole range.</summary>
    public long Bytes { get; }
    /// <summary>Bytes of the whole image: sender and receiver compare it to catch different layouts.</summary>
    public long ImageBytes => _layout.TotalBytes;

    public int ChunksOf(int blob) => _firstChunk[blob - FirstBlob + 1] - _firstChunk[blob - FirstBlob];

    /// <summary>The <paramref name="index"/>-th chunk of <paramref name="blob"/>.</summary>
    public ChunkRef Get(int blob, int index)
    {
        long offset = (long)index * ChunkBytes;
        int length = (int)Math.Min(ChunkBytes, _layout.Blobs[blob].ByteLength - offset);
        return new ChunkRef(blob, index, offset, length);
    }

    /// <summary>The transfer-wide index of a chunk (for per-chunk state arrays).</summary>
    public int IndexOf(ChunkRef chunk) => _firstChunk[chunk.Blob - FirstBlob] + chunk.Index;

    /// <summary>Finds the chunk a header names; false when no chunk of the plan starts there with that length.</summary>
    public bool TryLocate(int blob, long offsetInBlob, int length, out ChunkRef chunk)
    {
        chunk = default;
        if (blob < FirstBlob || blob >= EndBlob || offsetInBlob < 0 || offsetInBlob % ChunkBytes != 0) return false;
        long index = offsetInBlob / ChunkBytes;
        if (index >= ChunksOf(blob)) return false;
        chunk = Get(blob, (int)index);
        return chunk.Length == length;
    }
}
