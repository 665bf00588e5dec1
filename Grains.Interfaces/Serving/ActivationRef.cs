namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// A hand-off of hidden states, (tokens, width) f32, published on one host's data plane: what grains pass instead of
/// the bytes themselves, which the consumer fetches over the data plane (same host: in-process; otherwise TCP).
/// </summary>
/// <param name="SourceId">The id the states are served under until their publisher retires them.</param>
/// <param name="Host">The publishing host's name: a consumer on the same host copies in-process.</param>
/// <param name="DataAddress">The publisher's data-plane <c>host:port</c>, for consumers on other hosts.</param>
/// <param name="Tokens">Rows of the states.</param>
/// <param name="Width">Floats per row (the hidden size).</param>
[GenerateSerializer, Immutable, Alias("blitz.ActivationRef")]
public sealed record ActivationRef(
    [property: Id(0)] string SourceId,
    [property: Id(1)] string Host,
    [property: Id(2)] string DataAddress,
    [property: Id(3)] int Tokens,
    [property: Id(4)] int Width)
{
    /// <summary>
    /// The states were pushed to the consumer's host (its inbox holds them under <see cref="SourceId"/>) rather than
    /// published for it to fetch.
    /// </summary>
    [Id(5)] public bool Pushed { get; init; }

    /// <summary>
    /// Floats of each row that travel, from the first (the rest arrive as zeros); 0, the default, for every one
    /// (<c>HiddenStates.SentWidth</c>, set by the host's activation share).
    /// </summary>
    [Id(6)] public int SentWidth { get; init; }

    // The serialized form's header (magic, tokens, width, sent: four u32), as HiddenStates in Native writes it; this
    // assembly cannot reference Native, and a test pins the two lengths equal.
    private const int HeaderBytes = 16;

    /// <summary>Bytes that travel: the serialized length of the states (a 16-byte header, then Tokens × the sent floats of each row, f32).</summary>
    public long Bytes => HeaderBytes + (long)Tokens * (SentWidth > 0 ? SentWidth : Width) * sizeof(float);
}
