using BlitzScale.Grains.DataPlane;
using BlitzScale.Grains.Interfaces.Topology;

namespace BlitzScale.Grains.Hosting;

/// <summary>What this silo declares about its host: one description, for its registration and for anyone who asks its GPUs.</summary>
internal sealed class ThisHost(GpuHostOptions options, HostDataPlane dataPlane, ILocalSiloDetails silo)
{
    // Measured once: the memory for model copies is what was available when the silo started, not a moving figure.
    private readonly long _hostMemoryBytes = HostMemory.BytesFor(options);

    public HostInfo Describe() => new(
        options.Host, options.Gpus, options.Backend, options.GpuMemoryBytes, options.NvlinkGroup ?? options.Host,
        options.NicGbps, options.LeafSwitch, silo.SiloAddress.ToString(), options.ModelsDirectory, dataPlane.Address, _hostMemoryBytes,
        dataPlane.RdmaAddress, dataPlane.RdmaUnavailable, options.HostToDeviceMBps / 1000);
}
