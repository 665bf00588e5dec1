namespace BlitzScale.Cli.Progress;

/// <summary>How far one loading instance has got, as its events said.</summary>
/// <param name="Outcome">Null while loading; then "Serving" or "Failed".</param>
/// <param name="Detail">The last state event's description (the feeds when serving, the error when failed).</param>
internal sealed record InstanceLoad(
    string Shard, string Gpu, int LoadedLayers, int TotalLayers, long Bytes, long TotalBytes, double ElapsedMs, string? Outcome = null, string? Detail = null)
{
    /// <summary>Bytes landed ÷ time since the instance was asked to load (0 before any time has passed).</summary>
    public double BytesPerSecond => ElapsedMs > 0 ? Bytes / (ElapsedMs / 1000) : 0;

    public bool Finished => Outcome is not null;
}
