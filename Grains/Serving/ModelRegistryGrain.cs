using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// The deployed model names, kept in the grid's storage (<see cref="GridStorage"/>) like the model grains' deployments, so
/// the two agree after either's silo dies; a model grain that activates again from a stored deployment re-adds itself.
/// </summary>
internal sealed class ModelRegistryGrain([PersistentState("registry", GridStorage.Name)] IPersistentState<ModelRegistryRecord> record)
    : Grain, IModelRegistryGrain
{
    public async Task Add(string model)
    {
        if (record.State.Models.Contains(model)) return;
        record.State.Models.Add(model);
        await record.WriteStateAsync();
    }

    public async Task Remove(string model)
    {
        if (record.State.Models.Remove(model)) await record.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> GetModels() => Task.FromResult<IReadOnlyList<string>>([.. record.State.Models.Order(StringComparer.Ordinal)]);
}

/// <summary>The registry's stored state.</summary>
[GenerateSerializer, Alias("blitz.ModelRegistryRecord")]
internal sealed class ModelRegistryRecord
{
    [Id(0)] public List<string> Models { get; set; } = [];
}
