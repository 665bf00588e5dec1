namespace BlitzScale.Native.Transport;

/// <summary>What a completed transfer moved.</summary>
/// <param name="Bytes">Verified payload bytes that landed (refetches not counted twice).</param>
/// <param name="Chunks">Chunks that landed.</param>
/// <param name="RefetchedChunks">Fetches repeated because a chunk failed its hash or MAC check.</param>
/// <param name="Elapsed">From the start of the call to the last verified chunk.</param>
public sealed record TransferResult(long Bytes, int Chunks, int RefetchedChunks, TimeSpan Elapsed);
