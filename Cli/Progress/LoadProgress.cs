using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Progress;

/// <summary>
/// Folds a model's event stream into the state of the instances a command is waiting for: layers and bytes landed,
/// bytes/s, and how each ended. Events of other instances are ignored; so are events after an instance ended.
/// </summary>
internal sealed class LoadProgress
{
    private readonly Dictionary<string, InstanceLoad> _loads;

    public LoadProgress(IEnumerable<(string Shard, string Gpu)> loading) =>
        _loads = loading.ToDictionary(l => l.Shard, l => new InstanceLoad(l.Shard, l.Gpu, 0, 0, 0, 0, 0));

    /// <summary>The followed instances, in the order they were given.</summary>
    public IEnumerable<InstanceLoad> Instances => _loads.Values;

    /// <summary>Every followed instance serves or failed.</summary>
    public bool Done => _loads.Values.All(l => l.Finished);

    /// <summary>Adds an instance that had already finished loading (or failed) when the follow began, as its status says.</summary>
    public void Finished(InstanceStatus instance)
    {
        bool serving = instance.State == InstanceState.Serving;
        _loads[instance.Shard] = new InstanceLoad(instance.Shard, instance.Gpu, instance.TotalLayers, instance.TotalLayers, instance.LoadedBytes, instance.LoadedBytes,
            instance.LoadSeconds * 1000)
        {
            Outcome = serving ? nameof(ModelEventKind.Serving) : nameof(ModelEventKind.Failed),
            Detail = serving ? $"loaded {instance.LoadedBytes:N0} bytes in {instance.LoadSeconds:0.000} s from {instance.LoadedFrom}" : instance.Error,
        };
    }

    /// <summary>The instance <paramref name="e"/> moved forward, or null when it concerns none being followed.</summary>
    public InstanceLoad? Apply(ModelEvent e)
    {
        if (!_loads.TryGetValue(e.Shard, out var load) || load.Finished) return null;
        load = e.Kind switch
        {
            ModelEventKind.LayerReady or ModelEventKind.TransferProgress => load with
            {
                // Byte progress and layer events come from different pumps: never step backwards.
                LoadedLayers = Math.Max(load.LoadedLayers, e.LoadedLayers), TotalLayers = e.TotalLayers,
                Bytes = Math.Max(load.Bytes, e.Bytes), TotalBytes = e.TotalBytes, ElapsedMs = Math.Max(load.ElapsedMs, e.ElapsedMs),
            },
            ModelEventKind.Serving => load with
            {
                LoadedLayers = e.TotalLayers, TotalLayers = e.TotalLayers, Bytes = e.TotalBytes, TotalBytes = e.TotalBytes,
                ElapsedMs = Math.Max(load.ElapsedMs, e.ElapsedMs), Outcome = nameof(ModelEventKind.Serving), Detail = e.Detail,
            },
            ModelEventKind.Failed => load with { Outcome = nameof(ModelEventKind.Failed), Detail = e.Detail },
            _ => null,
        };
        if (load is null) return null;
        _loads[e.Shard] = load;
        return load;
    }
}
