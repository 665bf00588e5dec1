namespace BlitzScale.Scaling.Caching;

/// <summary>What <see cref="CopyKeeper"/> asks for: a copy of the model in <paramref name="To"/>'s memory, then the one on <paramref name="From"/> dropped.</summary>
/// <param name="From">The host of the copy it replaces; null when the model has none (a copy is made, nothing dropped).</param>
/// <param name="To">The host that is to hold the copy.</param>
public sealed record CopyMove(string? From, string To);
