namespace BlitzScale.Native.Transport;

/// <summary>Moves a blob range of a parameter image from a peer that holds it into a local image.</summary>
public interface IBlobTransport
{
    /// <summary>
    /// Fetches blobs <c>[request.FirstBlob, request.EndBlob)</c> of <c>request.ModelId</c> from <paramref name="peer"/>
    /// into <paramref name="target"/>, chunk by chunk, each chunk checked against the 64-bit hash the sender computed.
    /// A chunk that fails its check is fetched again, up to <see cref="TransferRequest.MaxAttempts"/> times.
    /// </summary>
    /// <param name="peer">Who to fetch from, in the form the transport understands (TCP: <c>host:port</c>).</param>
    /// <param name="request">The blobs and chunking.</param>
    /// <param name="target">
    /// The image to fill; it must stay alive until the task completes. Blobs of the range should not be loaded in it
    /// yet: ones that are get fetched again but are not reported.
    /// </param>
    /// <param name="blobReady">
    /// Told each blob index as soon as its last chunk has landed and been verified (the blob is then marked loaded).
    /// Called synchronously on the receiving loop, in landing order: keep it short.
    /// </param>
    /// <param name="cancellationToken">Stops the transfer and closes its connection.</param>
    /// <returns>Completes when every requested blob has landed and been verified.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the target's layout.</exception>
    /// <exception cref="SourceLostException">The peer disappeared (unreachable, connection reset, end of stream) before every blob landed.</exception>
    /// <exception cref="ChunkVerificationException">A chunk failed its hash or MAC check on every attempt.</exception>
    /// <exception cref="PeerRefusedException">The peer refused this node's cluster secret.</exception>
    /// <exception cref="TransferException">The peer refused the request (unknown model, different layout) or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<TransferResult> TransferAsync(
        string peer,
        TransferRequest request,
        IBlobSink target,
        IProgress<int>? blobReady = null,
        CancellationToken cancellationToken = default);
}
