namespace BlitzScale.Scaling.Planning;

/// <summary>
/// The link rates <see cref="TransferPlan.EstimateSeconds"/> uses. Network rates come from each host's
/// <see cref="HostSpec.NicGbps"/>; the rest are these values (GB/s = 10^9 bytes per second), which tests and the
/// simulator may override with <c>with { … }</c>.
/// </summary>
public sealed record LinkBandwidths
{
    /// <summary>Default NVLink rate between two GPUs of one group, GB/s.</summary>
    public const double DefaultNvLinkGBps = 300;

    /// <summary>Default PCIe rate between two GPUs of one host in different NVLink groups, GB/s.</summary>
    public const double DefaultPcieGBps = 25;

    /// <summary>Default rate from host memory to a GPU of the same host, GB/s.</summary>
    public const double DefaultHostToDeviceGBps = 25;

    /// <summary>Default rate at which one host reads the model files from storage, GB/s.</summary>
    public const double DefaultStorageGBps = 2;

    /// <summary>
    /// Default rate one GPU can push into the network by itself, Gbit/s: unlimited, so the NIC is the limit. Set it
    /// below the NIC rate to model GPUs that cannot fill a fast NIC alone, which is what split sends are for.
    /// </summary>
    public const double DefaultGpuNetworkGbps = double.PositiveInfinity;

    /// <summary>The defaults.</summary>
    public static LinkBandwidths Default { get; } = new();

    /// <summary>NVLink rate, GB/s.</summary>
    public double NvLinkGBps { get; init; } = DefaultNvLinkGBps;

    /// <summary>PCIe GPU-to-GPU rate inside a host, GB/s.</summary>
    public double PcieGBps { get; init; } = DefaultPcieGBps;

    /// <summary>Host memory to GPU rate, GB/s.</summary>
    public double HostToDeviceGBps { get; init; } = DefaultHostToDeviceGBps;

    /// <summary>Storage read rate per reading host, GB/s.</summary>
    public double StorageGBps { get; init; } = DefaultStorageGBps;

    /// <summary>The most one GPU sends into the network on its own, Gbit/s.</summary>
    public double GpuNetworkGbps { get; init; } = DefaultGpuNetworkGbps;
}
