namespace BlitzScale.Scaling.Planning;

/// <summary>Where a chain's parameters come from.</summary>
public enum SourceKind
{
    /// <summary>One or more GPUs that hold the model.</summary>
    Gpu,

    /// <summary>
    /// The cluster's single host-memory copy: used when no GPU can send, and for its own host's GPUs where that host copies
    /// into them faster than its NIC receives.
    /// </summary>
    HostCopy,

    /// <summary>The model files in storage (used only when neither a GPU nor the host copy can send).</summary>
    Storage,
}
