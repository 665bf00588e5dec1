namespace BlitzScale.Scaling.Planning;

/// <summary>
/// Everything the transfer planner needs to plan one scale-up: the topology, the model's image, where the model
/// already is and where it must go. The order of the lists (other than <paramref name="BlobSizes"/>) never
/// changes the plan.
/// </summary>
/// <param name="Hosts">The hosts, each once.</param>
/// <param name="Gpus">The GPUs of all hosts, each once.</param>
/// <param name="BlobSizes">
/// The model's parameter image as ordered blob sizes in bytes (blob 0 the embedding, 1..L the layers, L+1 the
/// head); every size is positive.
/// </param>
/// <param name="Sources">GPUs that hold the whole model, each once.</param>
/// <param name="HostCopy">The host that holds the cluster's single host-memory copy of the model, or null.</param>
/// <param name="Targets">The GPUs that must receive the model, each once; those that are already sources are skipped.</param>
public sealed record PlanningInput(
    IReadOnlyList<HostSpec> Hosts,
    IReadOnlyList<GpuSpec> Gpus,
    IReadOnlyList<long> BlobSizes,
    IReadOnlyList<GpuSource> Sources,
    string? HostCopy,
    IReadOnlyList<string> Targets)
{
    /// <summary>Whether the model files can be read from storage (the last resort); true unless told otherwise.</summary>
    public bool StorageAvailable { get; init; } = true;

    /// <summary>
    /// Whether the host copy may feed its own host's targets beside the GPU chains, where that host copies faster than its NIC
    /// (<see cref="HostSpec.CopiesFasterThanNic"/>); true unless the caller named the GPUs to send from (then they send, and the
    /// host copy only when none of them can).
    /// </summary>
    public bool HostCopyBesideGpus { get; init; } = true;

    /// <summary>Stream limits per GPU and per host NIC.</summary>
    public PlanningLimits Limits { get; init; } = PlanningLimits.Default;
}
