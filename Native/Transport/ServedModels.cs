using System.Collections.Concurrent;

namespace BlitzScale.Native.Transport;

/// <summary>
/// The images a blob server serves by model id, and which connection reads which, so that retiring a model can cut
/// its readers and wait for them before the image is freed. Every blob server keeps one, in its <see cref="ServerCore"/>.
/// </summary>
internal sealed class ServedModels
{
    private readonly ConcurrentDictionary<string, IBlobSource> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ServedConnection, string> _serving = new();

    public void Register(string modelId, IBlobSource source)
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
    public string? Open(ServedConnection connection, string address, string modelId, RequestHeader range, int firstChunk, out IBlobSource? source, out ChunkPlan? plan)
    {
        plan = null;
        source = _models.GetValueOrDefault(modelId);
        if (source is null) return $"model \"{modelId}\" is not served by {address}";
        var layout = source.Layout;
        if (RangeRequest.Refusal(address, modelId, layout, range, firstChunk) is { } refusal) return refusal;

        // Recorded before the first byte is read from the source, so retiring it waits for this connection.
        _serving[connection] = modelId;
        if (!ReferenceEquals(_models.GetValueOrDefault(modelId), source))
        {
            _serving.TryRemove(connection, out _);
            source = null;
            return $"model \"{modelId}\" was retired from {address}";
        }
        plan = new ChunkPlan(layout, range.Blob, range.A, range.C, firstChunk);
        return null;
    }

    public void NotServing(ServedConnection connection) => _serving.TryRemove(connection, out _);
}
