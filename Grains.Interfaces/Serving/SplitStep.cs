namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// One step of a split request for the LiveOld shard: the hidden states of positions [Start, Start + Count) after layers
/// [0, FirstLayer), published on the LiveNew host's data plane (<see cref="Activation"/>), to run through the remaining layers
/// and the head. Only this reference travels in the grain call; the bytes go over the data plane.
/// </summary>
[GenerateSerializer, Immutable, Alias("blitz.SplitStep")]
public sealed record SplitStep
{
    /// <summary>The request.</summary>
    [Id(0)] public required string RequestId { get; init; }
    /// <summary>Position of the first row.</summary>
    [Id(1)] public int Start { get; init; }
    /// <summary>Rows (the prompt at the hand-over, then one per step).</summary>
    [Id(2)] public int Count { get; init; }
    /// <summary>The split layer j.</summary>
    [Id(3)] public int FirstLayer { get; init; }
    /// <summary>Where the rows are; null for a request whose KV moved to the LiveOld (split layer 0), which embeds <see cref="TokenId"/>.</summary>
    [Id(4)] public ActivationRef? Activation { get; init; }
    /// <summary>Sampling temperature (0: greedy).</summary>
    [Id(5)] public float Temperature { get; init; }
    /// <summary>Nucleus sampling's p.</summary>
    [Id(6)] public float TopP { get; init; } = 1f;
    /// <summary>Top-k (0: all).</summary>
    [Id(7)] public int TopK { get; init; }
    /// <summary>The sampler's seed.</summary>
    [Id(8)] public ulong Seed { get; init; }
    /// <summary>Positions the request may reach (prompt + max tokens).</summary>
    [Id(9)] public int Positions { get; init; }
    /// <summary>The LiveNew shard that sent it (its split requests end together when it leaves the pair); null: the partner paired now.</summary>
    [Id(10)] public string? Partner { get; init; }
    /// <summary>The one row's token when <see cref="Activation"/> is null; -1 otherwise.</summary>
    [Id(11)] public int TokenId { get; init; } = -1;
}
