namespace BlitzScale.Native.Transport;

/// <summary>
/// The source of a transfer disappeared (unreachable, connection reset, end of stream, or, in a chain, its own
/// source was lost) before every blob landed. The planner can fetch the blobs that did not land from another source.
/// </summary>
public sealed class SourceLostException(string peer, string modelId, int blobsLanded, int blobsRequested, string what, Exception? innerException = null)
    : TransferException(peer, modelId,
        $"source {peer} was lost after {blobsLanded} of {blobsRequested} blobs of model \"{modelId}\" had landed: {what}",
        innerException)
{
    /// <summary>Blobs of the request that had landed and been verified when the source was lost.</summary>
    public int BlobsLanded { get; } = blobsLanded;
    /// <summary>Blobs the transfer asked for.</summary>
    public int BlobsRequested { get; } = blobsRequested;
}
