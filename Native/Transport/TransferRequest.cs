namespace BlitzScale.Native.Transport;

/// <summary>
/// What to move: blobs <c>[FirstBlob, EndBlob)</c> of one model's parameter image, cut into chunks of at most
/// <see cref="ChunkBytes"/> bytes (each blob is cut on its own, so a chunk never spans two blobs), from chunk
/// <see cref="FirstChunk"/> of the first blob on (a target that holds the start of that blob fetches only the rest).
/// </summary>
public sealed record TransferRequest
{
    /// <summary>Default chunk size: large enough that per-chunk costs (header, hash call, syscalls) vanish, small enough to pipeline along a chain.</summary>
    public const int DefaultChunkBytes = 4 << 20;
    /// <summary>Smallest chunk size accepted.</summary>
    public const int MinChunkBytes = 64 << 10;
    /// <summary>Largest chunk size accepted (the native-memory windows of an image overlap by this much).</summary>
    public const int MaxChunkBytes = 256 << 20;
    /// <summary>Default number of times a chunk is fetched before its transfer fails.</summary>
    public const int DefaultMaxAttempts = 3;
    /// <summary>Longest model id, in UTF-8 bytes, that travels on the wire.</summary>
    public const int MaxModelIdBytes = 1024;

    /// <summary>Creates a request.</summary>
    /// <param name="modelId">The model, as the source registered it.</param>
    /// <param name="firstBlob">First blob to move.</param>
    /// <param name="endBlob">One past the last blob to move.</param>
    /// <param name="chunkBytes">Largest chunk, in bytes; between <see cref="MinChunkBytes"/> and <see cref="MaxChunkBytes"/>.</param>
    /// <param name="maxAttempts">How many times one chunk may be fetched (the first fetch included) before the transfer fails.</param>
    /// <param name="firstChunk">
    /// The first chunk of <paramref name="firstBlob"/> to move; the chunks before it are not sent (the target holds them).
    /// Checked against the image's layout when the transfer starts.
    /// </param>
    /// <exception cref="ArgumentException">The model id is empty or longer than <see cref="MaxModelIdBytes"/> UTF-8 bytes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty or negative, or the chunk size, attempts or first chunk are out of bounds.</exception>
    public TransferRequest(string modelId, int firstBlob, int endBlob, int chunkBytes = DefaultChunkBytes, int maxAttempts = DefaultMaxAttempts, int firstChunk = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        if (System.Text.Encoding.UTF8.GetByteCount(modelId) > MaxModelIdBytes)
            throw new ArgumentException($"model id \"{modelId}\" is longer than {MaxModelIdBytes} UTF-8 bytes", nameof(modelId));
        ArgumentOutOfRangeException.ThrowIfNegative(firstBlob);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(endBlob, firstBlob);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, MinChunkBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkBytes, MaxChunkBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxAttempts, byte.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegative(firstChunk);
        ModelId = modelId;
        FirstBlob = firstBlob;
        EndBlob = endBlob;
        ChunkBytes = chunkBytes;
        MaxAttempts = maxAttempts;
        FirstChunk = firstChunk;
    }

    /// <summary>A request for every blob of an image with <paramref name="blobCount"/> blobs.</summary>
    public static TransferRequest WholeImage(string modelId, int blobCount, int chunkBytes = DefaultChunkBytes) =>
        new(modelId, 0, blobCount, chunkBytes);

    /// <summary>The model, as the source registered it.</summary>
    public string ModelId { get; }
    /// <summary>First blob to move.</summary>
    public int FirstBlob { get; }
    /// <summary>One past the last blob to move.</summary>
    public int EndBlob { get; }
    /// <summary>Largest chunk, in bytes.</summary>
    public int ChunkBytes { get; }
    /// <summary>How many times one chunk may be fetched before the transfer fails.</summary>
    public int MaxAttempts { get; }
    /// <summary>The first chunk of <see cref="FirstBlob"/> to move (0: the whole blob).</summary>
    public int FirstChunk { get; }
    /// <summary>Number of blobs requested.</summary>
    public int BlobCount => EndBlob - FirstBlob;
}
