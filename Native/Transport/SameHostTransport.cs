using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace BlitzScale.Native.Transport;

/// <summary>
/// Moves blobs between two images in one process, standing for NVLink between two GPUs of a host: sources are
/// registered under a peer name (e.g. <c>h1/gpu0</c>) and a model id, and a transfer copies chunk by chunk with the
/// same hashing, refetch and readiness as <see cref="TcpBlobTransport"/>. A registered <see cref="ImageSink"/> that is
/// still being filled is copied from as its chunks land, as on a chain.
/// </summary>
public sealed class SameHostTransport : IBlobTransport
{
    private readonly ConcurrentDictionary<(string Peer, string ModelId), IBlobSource> _sources = new();

    /// <summary>Makes <paramref name="source"/> fetchable as <paramref name="modelId"/> from <paramref name="peer"/>, replacing what was there.</summary>
    public void Register(string peer, string modelId, IBlobSource source)
    {
        ArgumentException.ThrowIfNullOrEmpty(peer);
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        ArgumentNullException.ThrowIfNull(source);
        _sources[(peer, modelId)] = source;
    }

    /// <summary>Stops offering a model from a peer to new transfers; false when it was not registered.</summary>
    public bool Unregister(string peer, string modelId) => _sources.TryRemove((peer, modelId), out _);

    /// <summary>Test hook: called after each chunk is copied; true flips one byte of the copy, as a faulty link would.</summary>
    internal Func<int, long, bool>? CorruptOnCopy { get; set; }

    /// <inheritdoc/>
    /// <remarks><paramref name="peer"/> is the name the source was registered under.</remarks>
    public async Task<TransferResult> TransferAsync(
        string peer,
        TransferRequest request,
        IBlobSink target,
        IProgress<int>? blobReady = null,
        CancellationToken cancellationToken = default)
    {
        var tracker = new TransferTracker(peer, request, target, blobReady);
        return await TransferRun.RunAsync(tracker, "the copy", async () =>
        {
            var source = _sources.GetValueOrDefault((peer, request.ModelId))
                ?? throw tracker.Lost($"no image of model \"{request.ModelId}\" is registered under {peer} on this host");
            if (source.Layout.TotalBytes != target.Layout.TotalBytes)
            {
                throw new TransferException(peer, request.ModelId,
                    $"model \"{request.ModelId}\" on {peer} has a {source.Layout.TotalBytes}-byte image, the target {target.Layout.TotalBytes} bytes: the layouts differ");
            }
            var plan = tracker.Plan;
            for (int blob = plan.FirstBlob; blob < plan.EndBlob; blob++)
            {
                int chunks = plan.EndOf(blob);
                for (int i = plan.StartOf(blob); i < chunks; i++)
                    await CopyAsync(source, plan.Get(blob, i), tracker, target, cancellationToken).ConfigureAwait(false);
            }
            return tracker.Result();
        }).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CopyAsync(IBlobSource source, ChunkRef chunk, TransferTracker tracker, IBlobSink target, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ReadOnlyMemory<byte> from;
        try
        {
            from = await source.ReadAsync(chunk.Blob, chunk.OffsetInBlob, chunk.Length, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TransferException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw tracker.Lost($"its own source was lost: {e.Message}", e);
        }
        // The sender's hash, taken before the copy: what the receiver checks the landed bytes against.
        ulong sent = ChunkHash.Of(from.Span);
        var to = target.ChunkMemory(chunk.Blob, chunk.OffsetInBlob, chunk.Length);
        do
        {
            from.Span.CopyTo(to.Span);
            if (CorruptOnCopy?.Invoke(chunk.Blob, chunk.OffsetInBlob) == true)
                to.Span[to.Length / 2] ^= 0x5A;
        }
        while (!tracker.Land(chunk, sent));
    }
}
