namespace BlitzScale.Scaling.Planning;

/// <summary>One GPU host as the transfer planner sees it.</summary>
/// <param name="Name">The host's name; GPU keys on it start with <c>"{Name}/"</c>.</param>
/// <param name="NicGbps">The host's NIC bandwidth in Gbit/s (one direction), shared by all its network streams.</param>
/// <param name="LeafSwitch">The leaf switch the host hangs off; traffic between leaves crosses the spine.</param>
/// <param name="HostToDeviceGBps">
/// The rate of a copy from the host's memory into one of its GPUs, GB/s, where the host declares it; null when it does not
/// (then the planner keeps to the design's premise that the network is about as fast, and uses the host copy only when no
/// GPU can send).
/// </param>
public sealed record HostSpec(string Name, double NicGbps, string LeafSwitch, double? HostToDeviceGBps = null)
{
    /// <summary>
    /// Whether a GPU of this host gets the image from the host's memory faster than over its NIC: the declared copy rate
    /// (GB/s, × 8 for Gbit/s) above the NIC's.
    /// </summary>
    public bool CopiesFasterThanNic => HostToDeviceGBps is { } rate && rate * 8 > NicGbps;
}
