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

        Assert.Equal("h2", CopyHostChooser.Choose(hosts, [Memory("h1", 1000), Memory("h2", 2000)], ["h1/gpu0"], Image));
        Assert.Equal("h1", CopyHostChooser.Choose(hosts, [Memory("h1", 1000), Memory("h2", 1000)], ["h2/gpu0"], Image));
    }

    [Fact]
    public void A_copy_that_would_share_its_host_with_every_placed_gpu_goes_to_another_host_with_room()
    {
        HostInfo[] hosts = [Host("h1", 2), Host("h2", 1)];

        // Most memory (and the tie's name) would put it on h1, beside the only instance.
        Assert.Equal("h2", CopyHostChooser.Choose(hosts, [Memory("h1", 3000), Memory("h2", 1000)], ["h1/gpu0"], Image));
        Assert.Equal("h2", CopyHostChooser.Choose(hosts, [Memory("h1", 1000), Memory("h2", 1000)], ["h1/gpu0", "h1/gpu1"], Image));
        // No other host has room for the image: beside them after all.
        Assert.Equal("h1", CopyHostChooser.Choose(hosts, [Memory("h1", 3000), Memory("h2", 300)], ["h1/gpu0"], Image));
        // Placed on both hosts: one host's death leaves the other, so most memory as before.
        Assert.Equal("h1", CopyHostChooser.Choose(hosts, [Memory("h1", 3000), Memory("h2", 1000)], ["h1/gpu0", "h2/gpu0"], Image));
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
    public void On_hosts_of_several_gpus_the_copy_goes_to_a_host_the_deployment_places_nothing_on()
    {
        // bench replay --hosts 2 --gpus 2 at 7789100: the copy went to h1 (most memory), beside the deployed h1/gpu0, so h1/gpu1
        // loaded from h1/gpu0 and h2's GPUs over the network; the planner feeds a host from its copy only where no GPU of it sends.
        HostInfo[] hosts = [Host("h1", 2, hostToDeviceGBps: 0.5543), Host("h2", 2, hostToDeviceGBps: 0.5543)];
        HostMemoryStatus[] memory = [Memory("h1", 3000), Memory("h2", 1000)];

        Assert.Equal("h2", CopyHostChooser.Choose(hosts, memory, ["h1/gpu0"], Image));
        // Every host holds an instance: one that still keeps a GPU free, most memory first.
        Assert.Equal("h1", CopyHostChooser.Choose(hosts, memory, ["h1/gpu0", "h2/gpu0"], Image));
        Assert.Equal("h2", CopyHostChooser.Choose(hosts, memory, ["h1/gpu0", "h1/gpu1", "h2/gpu0"], Image));
        // No room on the free host: beside the instance, where a GPU is still free.
        Assert.Equal("h1", CopyHostChooser.Choose(hosts, [Memory("h1", 3000), Memory("h2", 300)], ["h1/gpu0"], Image));
    }

    [Fact]
    public void A_host_whose_copy_is_no_faster_than_its_nic_is_not_preferred()
    {
        HostInfo[] hosts = [Host("h1", 1, nicGbps: 100, hostToDeviceGBps: 12.5), Host("h2", 1, nicGbps: 100, hostToDeviceGBps: 12.5),
            Host("h3", 1, nicGbps: 100, hostToDeviceGBps: 12.5)];

        // h2's GPU is the free one, but a copy there would load it no faster than the network: the tie goes by name.
        Assert.Equal("h1", CopyHostChooser.Choose(hosts, [Memory("h1", 1000), Memory("h2", 1000), Memory("h3", 1000)], ["h1/gpu0", "h3/gpu0"], Image));
    }
}
