using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Grains.Serving;
using static BlitzScale.Grains.Tests.Serving.GpuChooserTests;

namespace BlitzScale.Grains.Tests.Serving;

public sealed class CopyHostChooserTests
{
    private const long Image = 400;

    private static HostMemoryStatus Memory(string host, long bytes) => new(host, [], bytes);

    [Fact]
    public void Without_a_declared_copy_rate_the_copy_goes_where_most_memory_is_left()
    {
        HostInfo[] hosts = [Host("h1", 1), Host("h2", 1)];

        Assert.Equal("h2", CopyHostChooser.Choose(hosts, [Memory("h1", 1000), Memory("h2", 2000)], ["h2/gpu0"], Image));
        Assert.Equal("h1", CopyHostChooser.Choose(hosts, [Memory("h1", 1000), Memory("h2", 1000)], ["h1/gpu0"], Image));
    }

    [Fact]
    public void Where_hosts_copy_faster_than_their_nic_the_copy_goes_beside_a_gpu_the_deployment_leaves_free()
    {
        // 0.5543 GB/s is 4.4 Gbit/s, against 1 Gbit/s NICs: the testbed's proportion of an H200's PCIe to a 100 Gbit/s NIC.
        HostInfo[] hosts = [Host("h1", 1, hostToDeviceGBps: 0.5543), Host("h2", 1, hostToDeviceGBps: 0.5543), Host("h3", 1, hostToDeviceGBps: 0.5543)];
        HostMemoryStatus[] memory = [Memory("h1", 3000), Memory("h2", 1000), Memory("h3", 2000)];

        Assert.Equal("h3", CopyHostChooser.Choose(hosts, memory, ["h1/gpu0"], Image));
        // No room for the image on h3: the next free one.
        Assert.Equal("h2", CopyHostChooser.Choose(hosts, [Memory("h1", 3000), Memory("h2", 1000), Memory("h3", 300)], ["h1/gpu0"], Image));
        // Every GPU taken: where most memory is left, as before.
        Assert.Equal("h1", CopyHostChooser.Choose(hosts, memory, ["h1/gpu0", "h2/gpu0", "h3/gpu0"], Image));
        // A copy made again (no placement): most memory.
        Assert.Equal("h1", CopyHostChooser.Choose(hosts, memory, null, Image));
    }

    [Fact]
    public void A_host_whose_copy_is_no_faster_than_its_nic_is_not_preferred()
    {
        HostInfo[] hosts = [Host("h1", 1, nicGbps: 100, hostToDeviceGBps: 12.5), Host("h2", 1, nicGbps: 100, hostToDeviceGBps: 12.5)];

        Assert.Equal("h1", CopyHostChooser.Choose(hosts, [Memory("h1", 1000), Memory("h2", 1000)], ["h1/gpu0"], Image));
    }
}
