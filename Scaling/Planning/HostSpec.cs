namespace BlitzScale.Scaling.Planning;

/// <summary>One GPU host as the transfer planner sees it.</summary>
/// <param name="Name">The host's name; GPU keys on it start with <c>"{Name}/"</c>.</param>
/// <param name="NicGbps">The host's NIC bandwidth in Gbit/s (one direction), shared by all its network streams.</param>
/// <param name="LeafSwitch">The leaf switch the host hangs off; traffic between leaves crosses the spine.</param>
public sealed record HostSpec(string Name, double NicGbps, string LeafSwitch);
