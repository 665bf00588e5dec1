namespace BlitzScale.Scaling.Planning;

/// <summary>The kind of link one hop of a transfer plan uses.</summary>
public enum LinkType
{
    /// <summary>A copy between two GPUs of one host and one NVLink group.</summary>
    NvLink,

    /// <summary>A copy between two GPUs of one host in different NVLink groups (through the host's PCIe fabric, not its NIC).</summary>
    Pcie,

    /// <summary>A transfer between hosts over their NICs (GPU to GPU, or from the host copy to another host's GPU).</summary>
    Network,

    /// <summary>A copy from the host-memory copy of the model to a GPU of the same host.</summary>
    HostToDevice,

    /// <summary>A read of the model files from storage into a GPU.</summary>
    Storage,
}
