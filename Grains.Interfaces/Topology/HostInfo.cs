namespace BlitzScale.Grains.Interfaces.Topology;

/// <summary>
/// What one silo declares about its host at start-up: its GPUs and links, for placement and planning; the
/// <c>host:port</c> its data plane serves parameters on; the host memory available for model copies; where its RDMA
/// side channel listens, or why it has no RDMA; the rate of a copy from its memory into one of its GPUs (GB/s) where the
/// silo is told it (<c>--host-to-device-mbps</c>), which the planner weighs against the NIC.
/// </summary>
[GenerateSerializer, Immutable, Alias("blitz.HostInfo")]
public sealed record HostInfo(
    [property: Id(0)] string Host,
    [property: Id(1)] int Gpus,
    [property: Id(2)] string Backend,
    [property: Id(3)] long GpuMemoryBytes,
    [property: Id(4)] string NvlinkGroup,
    [property: Id(5)] double NicGbps,
    [property: Id(6)] string LeafSwitch,
    [property: Id(7)] string SiloAddress,
    [property: Id(8)] string? ModelsDirectory,
    [property: Id(9)] string? DataAddress = null,
    [property: Id(10)] long HostMemoryBytes = 0,
    [property: Id(11)] string? RdmaAddress = null,
    [property: Id(12)] string? RdmaUnavailable = null,
    [property: Id(13)] double? HostToDeviceGBps = null);
