using System.Collections.Concurrent;
using Orleans.Serialization;
using Orleans.Storage;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>
/// Grain storage that outlives any one silo of an in-process cluster, as Redis outlives a silo process: every silo of the
/// fixture writes to the same dictionary (a deep copy per read and write, with ETags, as a remote store behaves).
/// </summary>
internal sealed class SharedGrainStorage(ConcurrentDictionary<string, (object State, string ETag)> store, DeepCopier copier) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (store.TryGetValue(Key(stateName, grainId), out var stored))
        {
            grainState.State = copier.Copy((T)stored.State);
            grainState.ETag = stored.ETag;
            grainState.RecordExists = true;
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        string key = Key(stateName, grainId);
        string etag = Guid.NewGuid().ToString("N");
        store.AddOrUpdate(key,
            _ => grainState.ETag is null ? ((object)copier.Copy(grainState.State)!, etag) : throw Conflict(key),
            (_, old) => old.ETag == grainState.ETag ? ((object)copier.Copy(grainState.State)!, etag) : throw Conflict(key));
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        store.TryRemove(Key(stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private static string Key(string stateName, GrainId grainId) => $"{stateName}/{grainId}";

    private static InconsistentStateException Conflict(string key) => new($"stale ETag writing {key}");
}
