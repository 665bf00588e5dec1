namespace BlitzScale.Scaling.Caching;

/// <summary>A live host as a place for a model's one host copy.</summary>
/// <param name="Host">The host's name.</param>
/// <param name="FreeBytes">Its memory left for model copies.</param>
/// <param name="FastFreeGpu">
/// Whether it copies from its memory into its GPUs faster than its NIC receives and has a GPU the model does not use: a
/// scale-up would load that GPU from a copy there rather than over the network.
/// </param>
public sealed record CopyRoom(string Host, long FreeBytes, bool FastFreeGpu = false);
