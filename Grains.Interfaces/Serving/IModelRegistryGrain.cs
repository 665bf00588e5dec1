namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>The names of the deployed models (key <see cref="GrainKeys.Cluster"/>), for status views.</summary>
[Alias("blitz.IModelRegistryGrain")]
public interface IModelRegistryGrain : IGrainWithStringKey
{
    /// <summary>Records a deployed model.</summary>
    [Alias("Add")]
    Task Add(string model);

    /// <summary>Forgets an undeployed model.</summary>
    [Alias("Remove")]
    Task Remove(string model);

    /// <summary>Deployed model names, sorted.</summary>
    [Alias("GetModels")]
    Task<IReadOnlyList<string>> GetModels();
}
