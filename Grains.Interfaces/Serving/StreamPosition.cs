namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// How far a shard's stream of one request got (<see cref="ILayerShardGrain.StreamProgress"/>): the updates it has handed to
/// the runtime, and how long the last of them has waited for the caller to ask for the next one.
/// </summary>
/// <param name="Handed">Updates handed to the runtime so far.</param>
/// <param name="UnaskedSeconds">
/// Seconds since the last update was handed out without the caller asking for the next: 0 while the stream waits for its
/// instance's next token (the caller has asked). A caller that received every update handed out and waits for the next,
/// while the shard waits to be asked, sent an ask that never arrived.
/// </param>
[GenerateSerializer, Immutable, Alias("blitz.StreamPosition")]
public sealed record StreamPosition([property: Id(0)] int Handed, [property: Id(1)] double UnaskedSeconds);
