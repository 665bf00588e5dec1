namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>Scales a deployed model to a number of instances.</summary>
[GenerateSerializer, Immutable, Alias("blitz.ScaleRequest")]
public sealed record ScaleRequest
{
    /// <summary>The number of serving instances wanted (0 stops them all, keeping them Warm).</summary>
    [Id(0)] public int Instances { get; init; }
    /// <summary>GPU keys for the new instances, one per new instance (Warm instances are revived first); chosen when null.</summary>
    [Id(1)] public IReadOnlyList<string>? Gpus { get; init; }
    /// <summary>GPU keys that may send parameters to the new instances; every GPU holding the model when null.</summary>
    [Id(2)] public IReadOnlyList<string>? Sources { get; init; }
    /// <summary>
    /// Scaling down: keep the stopped instances Warm (parameters kept on the GPU, revived first next time) until their
    /// memory is needed; false unloads them.
    /// </summary>
    [Id(3)] public bool KeepWarm { get; init; } = true;
    /// <summary>Revive Warm instances before loading new ones (false loads new ones, for measurements).</summary>
    [Id(4)] public bool ReviveWarm { get; init; } = true;
}
