namespace BlitzScale.Scaling.Planning;

/// <summary>A GPU that holds the whole model (all blobs of the image) and could send it.</summary>
/// <param name="Gpu">The GPU's key.</param>
/// <param name="Role">What its instance does (<see cref="SourceRole"/>).</param>
/// <param name="OutboundBusy">Whether its outbound link is busy serving; such a GPU never sends.</param>
public sealed record GpuSource(string Gpu, SourceRole Role = SourceRole.Serving, bool OutboundBusy = false);
