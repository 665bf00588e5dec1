namespace BlitzScale.Native.Transport;

/// <summary>A chunk failed its hash or MAC check on every attempt: the bytes that arrive are not the bytes the peer sent.</summary>
public sealed class ChunkVerificationException(
    string peer, string modelId, int blob, int chunk, long offsetInBlob, int length, int attempts, ulong expectedHash, ulong actualHash,
    bool authentic = true)
    : TransferException(peer, modelId,
        $"blob {blob} chunk {chunk} (bytes {offsetInBlob}..{offsetInBlob + length} of the blob) of model \"{modelId}\" from {peer} " +
        $"failed its {(authentic ? "hash check" : "check")} {attempts} times (sent xxhash3 {expectedHash:x16}, received {actualHash:x16}" +
        (authentic ? "" : "; its MAC under the session key did not match on the last attempt") + "); giving up")
{
    /// <summary>The blob the chunk belongs to.</summary>
    public int Blob { get; } = blob;
    /// <summary>The chunk's index inside its blob.</summary>
    public int Chunk { get; } = chunk;
    /// <summary>How many times it was fetched.</summary>
    public int Attempts { get; } = attempts;
}
