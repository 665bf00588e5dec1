using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Serving;

/// <summary>The deployed model names (in memory: a model grain re-adds itself when it deploys).</summary>
internal sealed class ModelRegistryGrain : Grain, IModelRegistryGrain
{
    private readonly SortedSet<string> _models = new(StringComparer.Ordinal);

    public Task Add(string model)
    {
        _models.Add(model);
        return Task.CompletedTask;
    }

    public Task Remove(string model)
    {
        _models.Remove(model);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> GetModels() => Task.FromResult<IReadOnlyList<string>>([.. _models]);
}
