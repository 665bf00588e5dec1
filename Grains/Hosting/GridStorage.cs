namespace BlitzScale.Grains.Hosting;

/// <summary>The grain storage that keeps the grid's control state (model deployments, the model registry).</summary>
public static class GridStorage
{
    /// <summary>
    /// The storage provider's name. A silo that clusters through Redis registers Redis storage under it; otherwise
    /// <see cref="SiloBuilderExtensions.AddBlitzScale"/> registers memory storage (enough for the embedded grid, whose
    /// silos live and die together).
    /// </summary>
    public const string Name = "blitz-state";
}
