using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Transport;

/// <summary>
/// How a blob range is cut into chunks: blob by blob, at offsets 0, c, 2c, … of each blob (c the chunk size), the
/// last chunk of a blob shorter. Sender and receiver both derive it from the request, so a chunk header names a chunk
/// by (blob, offset, length) and either side can check it is one of the plan's. A range may start at a chunk inside
/// its first blob (<see cref="FirstChunk"/>): the chunks before it are not part of the plan (the receiver holds them).
/// </summary>
internal sealed class ChunkPlan
{
    // _firstChunk[b - FirstBlob] is the transfer-wide index of blob b's first planned chunk; one extra entry holds Count.
    private readonly int[] _firstChunk;
    private readonly ImageLayout _layout;

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="firstChunk"/> is not a chunk of the first blob.</exception>
    public ChunkPlan(ImageLayout layout, int firstBlob, int endBlob, int chunkBytes, int firstChunk = 0)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(endBlob, layout.Blobs.Count);
        _layout = layout;
        FirstBlob = firstBlob;
        EndBlob = endBlob;
        ChunkBytes = chunkBytes;
        int chunksOfFirst = ChunksIn(layout.Blobs[firstBlob].ByteLength, chunkBytes);
        // 0 is always allowed: a plan of a blob of no bytes has no chunks at all.
        if (firstChunk < 0 || firstChunk > 0 && firstChunk >= chunksOfFirst)
        {
            throw new ArgumentOutOfRangeException(nameof(firstChunk),
                $"chunk {firstChunk} is not a chunk of blob {firstBlob} ({chunksOfFirst} chunks of {chunkBytes} bytes)");
        }
        FirstChunk = firstChunk;
        _firstChunk = new int[endBlob - firstBlob + 1];
        long chunks = 0;
        for (int b = firstBlob; b < endBlob; b++)
        {
            _firstChunk[b - firstBlob] = checked((int)chunks);
            long length = layout.Blobs[b].ByteLength;
            chunks += ChunksIn(length, chunkBytes);
            Bytes += length;
        }
        // The skipped chunks all precede another chunk of the blob, so each is a whole chunk.
        chunks -= firstChunk;
        Bytes -= (long)firstChunk * chunkBytes;
        Count = checked((int)chunks);
        for (int b = firstBlob + 1; b < endBlob; b++) _firstChunk[b - firstBlob] -= firstChunk;
        _firstChunk[^1] = Count;
    }

    public static ChunkPlan For(TransferRequest request, ImageLayout layout) =>
        new(layout, request.FirstBlob, request.EndBlob, request.ChunkBytes, request.FirstChunk);

    /// <summary>How many chunks of <paramref name="chunkBytes"/> a blob of <paramref name="blobBytes"/> is cut into.</summary>
    public static int ChunksIn(long blobBytes, int chunkBytes) => checked((int)((blobBytes + chunkBytes - 1) / chunkBytes));

    public int FirstBlob { get; }
    public int EndBlob { get; }
    public int ChunkBytes { get; }
    /// <summary>The index, within <see cref="FirstBlob"/>, of the first chunk the plan moves (0: the whole blob).</summary>
    public int FirstChunk { get; }
    /// <summary>Chunks in the whole range.</summary>
    public int Count { get; }
    /// <summary>Bytes in the whole range.</summary>
    public long Bytes { get; }
    /// <summary>Bytes of the whole image: sender and receiver compare it to catch different layouts.</summary>
    public long ImageBytes => _layout.TotalBytes;

    /// <summary>The index of the first chunk of <paramref name="blob"/> the plan moves.</summary>
    public int StartOf(int blob) => blob == FirstBlob ? FirstChunk : 0;

    /// <summary>One past the index of the last chunk of <paramref name="blob"/> (the number of chunks the blob is cut into).</summary>
    public int EndOf(int blob) => ChunksIn(_layout.Blobs[blob].ByteLength, ChunkBytes);

    /// <summary>The <paramref name="index"/>-th chunk of <paramref name="blob"/>.</summary>
    public ChunkRef Get(int blob, int index)
    {
        long offset = (long)index * ChunkBytes;
        int length = (int)Math.Min(ChunkBytes, _layout.Blobs[blob].ByteLength - offset);
        return new ChunkRef(blob, index, offset, length);
    }

    /// <summary>The transfer-wide index of a chunk (for per-chunk state arrays).</summary>
    public int IndexOf(ChunkRef chunk) => _firstChunk[chunk.Blob - FirstBlob] + chunk.Index - StartOf(chunk.Blob);

    /// <summary>Finds the chunk a header names; false when no chunk of the plan starts there with that length.</summary>
    public bool TryLocate(int blob, long offsetInBlob, int length, out ChunkRef chunk)
    {
        chunk = default;
        if (blob < FirstBlob || blob >= EndBlob || offsetInBlob < 0 || offsetInBlob % ChunkBytes != 0) return false;
        long index = offsetInBlob / ChunkBytes;
        if (index < StartOf(blob) || index >= EndOf(blob)) return false;
        chunk = Get(blob, (int)index);
        return chunk.Length == length;
    }
}
