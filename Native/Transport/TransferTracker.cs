using System.Diagnostics;
using System.Text;

namespace BlitzScale.Native.Transport;

/// <summary>
/// The receiving side's state of one transfer, shared by every transport: which chunks have landed, how often
/// each was fetched, which blobs are complete. Checks each landed chunk's hash in place and reports blob readiness.
/// </summary>
internal sealed class TransferTracker
{
    private readonly IBlobSink _target;
    private readonly IProgress<int>? _blobReady;
    private readonly bool[] _verified;
    private readonly byte[] _fetches;
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _bytes;

    public TransferTracker(string peer, TransferRequest request, IBlobSink target, IProgress<int>? blobReady)
    {
        ArgumentException.ThrowIfNullOrEmpty(peer);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(target);
        if (request.EndBlob > target.Layout.Blobs.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(request),
                $"blobs {request.FirstBlob}..{request.EndBlob} of model \"{request.ModelId}\" are outside the target image ({target.Layout.Blobs.Count} blobs)");
        }
        Peer = peer;
        Request = request;
        Plan = ChunkPlan.For(request, target.Layout);
        _target = target;
        _blobReady = blobReady;
        _verified = new bool[Plan.Count];
        _fetches = new byte[Plan.Count];
        Remaining = Plan.Count;
    }

    public string Peer { get; }
    public TransferRequest Request { get; }
    public ChunkPlan Plan { get; }
    /// <summary>Chunks not yet landed.</summary>
    public int Remaining { get; private set; }
    public int BlobsLanded { get; private set; }
    public int Refetches { get; private set; }

    /// <summary>The chunk a header names, checked against the plan: one we asked for and have not received.</summary>
    /// <exception cref="TransferException">It is not.</exception>
    public ChunkRef Expect(int blob, long offsetInBlob, int length)
    {
        if (!Plan.TryLocate(blob, offsetInBlob, length, out var chunk) || _verified[Plan.IndexOf(chunk)])
        {
            throw new TransferException(Peer, Request.ModelId,
                $"peer {Peer} sent blob {blob} bytes {offsetInBlob}..{offsetInBlob + length} of model \"{Request.ModelId}\", " +
                $"which is not an outstanding chunk of the request (blobs {Request.FirstBlob}..{Request.EndBlob}, {Request.ChunkBytes}-byte chunks)");
        }
        return chunk;
    }

    /// <summary>
    /// Checks a chunk that has been written into the target against the hash the sender computed. True when it
    /// landed; false when it must be fetched again.
    /// </summary>
    /// <exception cref="ChunkVerificationException">It failed on its last allowed attempt.</exception>
    /// <param name="chunk">The chunk.</param>
    /// <param name="sentHash">The hash the sender computed.</param>
    /// <param name="authentic">False when the chunk's MAC did not match (the chunk fails as a wrong hash does).</param>
    public bool Land(ChunkRef chunk, ulong sentHash, bool authentic = true)
    {
        int index = Plan.IndexOf(chunk);
        var landed = _target.ChunkMemory(chunk.Blob, chunk.OffsetInBlob, chunk.Length);
        ulong hash = ChunkHash.Of(landed.Span);
        int fetches = ++_fetches[index];
        if (hash != sentHash || !authentic)
        {
            if (fetches >= Request.MaxAttempts)
            {
                throw new ChunkVerificationException(Peer, Request.ModelId, chunk.Blob, chunk.Index, chunk.OffsetInBlob, chunk.Length,
                    fetches, sentHash, hash, authentic);
            }
            Refetches++;
            return false;
        }
        _verified[index] = true;
        Remaining--;
        _bytes += chunk.Length;
        if (_target.ChunkLanded(chunk.Blob, chunk.OffsetInBlob, chunk.Length))
        {
            BlobsLanded++;
            _blobReady?.Report(chunk.Blob);
        }
        return true;
    }

    /// <summary>Where <paramref name="chunk"/> lands in the target image.</summary>
    public Memory<byte> Landing(ChunkRef chunk) => _target.ChunkMemory(chunk.Blob, chunk.OffsetInBlob, chunk.Length);

    public SourceLostException Lost(string what, Exception? inner = null) =>
        new(Peer, Request.ModelId, BlobsLanded, Request.BlobCount, what, inner);

    /// <summary>What a peer's error reply means: its own source was lost, or it refused the request.</summary>
    public Exception ErrorReply(string message, bool sourceLost) =>
        sourceLost
            ? Lost($"its own source was lost: {message}")
            : new TransferException(Peer, Request.ModelId,
                $"peer {Peer} refused blobs {Request.FirstBlob}..{Request.EndBlob} of model \"{Request.ModelId}\": {message}");

    /// <summary>The range request's frame: its header and the model id, then <paramref name="trailingBytes"/> for the caller.</summary>
    /// <remarks>A request that starts inside its first blob is a RangeFrom: the first chunk's index follows the model id.</remarks>
    public byte[] RangeFrame(int trailingBytes = 0)
    {
        var modelId = Encoding.UTF8.GetBytes(Request.ModelId);
        var header = RequestHeader.Range(Request.FirstBlob, Request.EndBlob, Plan.ImageBytes, Request.ChunkBytes, modelId.Length, fromChunk: Plan.FirstChunk > 0);
        var frame = new byte[WireFormat.HeaderBytes + modelId.Length + header.RangeTrailerBytes + trailingBytes];
        header.Write(frame);
        modelId.CopyTo(frame, WireFormat.HeaderBytes);
        if (header.Kind == RequestKind.RangeFrom)
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(WireFormat.HeaderBytes + modelId.Length), Plan.FirstChunk);
        return frame;
    }

    public TransferResult Result() =>
        new(_bytes, Plan.Count, Refetches, Stopwatch.GetElapsedTime(_started));

    /// <summary>Tells the target the transfer failed, so chain readers waiting on it fail too.</summary>
    public void Fail(Exception error) => _target.TransferFailed(Request.FirstBlob, Request.EndBlob, error);
}
