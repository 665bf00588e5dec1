namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// A split request's keys and values of layers [0, <see cref="SplitLayer"/>) for its first <see cref="Positions"/> positions,
/// moved by the LiveNew shard to its LiveOld (when its silo's move rule says so: while a request waits there, or after the
/// prompt), so that the LiveOld runs it whole from then on and the LiveNew's seat and blocks free. Only this reference travels in the grain call; the bytes go over the data plane
/// (<see cref="Activation"/>: rows of kv_dim floats, layer by layer its keys then its values).
/// </summary>
[GenerateSerializer, Immutable, Alias("blitz.SplitKv")]
public sealed record SplitKv
{
    /// <summary>The request.</summary>
    [Id(0)] public required string RequestId { get; init; }
    /// <summary>Positions moved: every position computed so far (the prompt, and the tokens decoded split).</summary>
    [Id(1)] public int Positions { get; init; }
    /// <summary>The split layer j: layers [0, j) move.</summary>
    [Id(2)] public int SplitLayer { get; init; }
    /// <summary>Where the keys and values are.</summary>
    [Id(3)] public required ActivationRef Activation { get; init; }
    /// <summary>The LiveNew shard that sent it; null: the partner paired now.</summary>
    [Id(4)] public string? Partner { get; init; }
}
