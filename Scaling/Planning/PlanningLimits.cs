namespace BlitzScale.Scaling.Planning;

/// <summary>
/// How many outbound streams one GPU and one host NIC may carry at once in a plan (each at least 1). A GPU's
/// streams are its chain hops (network, PCIe or NVLink); the copies of an intra-host all-gather are a separate
/// collective and are not counted. A host NIC's streams are the network hops leaving the host; the slices of one
/// split send together carry one image and count as one stream.
/// </summary>
/// <param name="MaxStreamsPerGpu">Outbound streams per GPU; default 1.</param>
/// <param name="MaxStreamsPerHostNic">Outbound network streams per host NIC; default 1.</param>
public sealed record PlanningLimits(int MaxStreamsPerGpu = 1, int MaxStreamsPerHostNic = 1)
{
    /// <summary>One stream per GPU and per host NIC.</summary>
    public static PlanningLimits Default { get; } = new();
}
