using System.Collections.Concurrent;

namespace BlitzScale.Native.Transport.SharedMemory;

/// <summary>A served connection, as <see cref="ServedModels{TSource}.RetireAsync"/> sees it.</summary>
internal interface IServedConnection
{
    /// <summary>Completes once the connection has closed and stopped touching its source's memory.</summary>
    Task Ended { get; }

    /// <summary>Stops sending: the peer sees its source lost.</summary>
    void Cut();
}

/// <summary>
/// The images a blob server serves by model id, and which connection reads which, so that retiring a model can cut
/// its readers and wait for them before the image is freed. Shared by <see cref="SharedMemoryBlobServer"/> and
/// <c>RdmaBlobServer</c>; it answers range requests the way the TCP <see cref="BlobServer"/> does.
/// </summary>
internal sealed class ServedModels<TSource>
    where TSource : class, IBlobSource
{
    private readonly ConcurrentDictionary<string, TSource> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<IServedConnection, string> _serving = new();

    public void Register(string modelId, TSource source)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        ArgumentNullException.ThrowIfNull(source);
        _models[modelId] = source;
    }

    public bool Unregister(string modelId) => _models.TryRemove(modelId, out _);

    public async Task RetireAsync(string modelId)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        _models.TryRemove(modelId, out _);
        var sending = _serving.Where(c => c.Value == modelId).Select(c => c.Key).ToList();
        foreach (var connection in sending) connection.Cut();
        await Task.WhenAll(sending.Select(c => c.Ended)).ConfigureAwait(false);
    }

    /// <summary>
    /// The source a range request names and the chunks to send, or the message to refuse it with. On success the
    /// connection is recorded as reading the source until <see cref="NotServing"/>.
    /// </summary>
    public string? Open(IServedConnection connection, string address, string modelId, RequestHeader range, out TSource? source, out ChunkPlan? plan)
    {
        plan = null;
        source = _models.GetValueOrDefault(modelId);
        if (source is null) return $"model \"{modelId}\" is not served by {address}";
        var layout = source.Layout;
        if (range.B != layout.TotalBytes)
            return $"model \"{modelId}\" on {address} has a {layout.TotalBytes}-byte image, the request expects {range.B} bytes: the layouts differ";
        if (range.Blob < 0 || range.A <= range.Blob || range.A > layout.Blobs.Count)
            return $"blobs {range.Blob}..{range.A} are not a range of model \"{modelId}\" ({layout.Blobs.Count} blobs)";
        if (range.C is < TransferRequest.MinChunkBytes or > TransferRequest.MaxChunkBytes)
            return $"chunk size {range.C} is outside {TransferRequest.MinChunkBytes}..{TransferRequest.MaxChunkBytes}";

        // Recorded before the first byte is read from the source, so retiring it waits for this connection.
        _serving[connection] = modelId;
        if (!ReferenceEquals(_models.GetValueOrDefault(modelId), source))
        {
            _serving.TryRemove(connection, out _);
            source = null;
            return $"model \"{modelId}\" was retired from {address}";
        }
        plan = new ChunkPlan(layout, range.Blob, range.A, range.C);
        return null;
    }

    public void NotServing(IServedConnection connection) => _serving.TryRemove(connection, out _);
}
