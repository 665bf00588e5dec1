using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Grains.Serving;

namespace BlitzScale.Grains.Tests.Serving;

public sealed class GpuChooserTests
{
    private static readonly HostInfo[] Hosts = [Host("h1", 2), Host("h2", 2), Host("h3", 1)];

    internal static HostInfo Host(string name, int gpus, double nicGbps = 1, double? hostToDeviceGBps = null) =>
        new(name, gpus, "timed", 1L << 30, name, nicGbps, "leaf0", "S127.0.0.1:1:1", null, HostToDeviceGBps: hostToDeviceGBps);

    [Fact]
    public void Spreads_over_hosts_first_then_over_each_hosts_gpus()
    {
        Assert.Equal(["h2/gpu0", "h3/gpu0", "h1/gpu1", "h2/gpu1"], GpuChooser.Choose(Hosts, 4, new HashSet<string> { "h1/gpu0" }));
    }

    [Fact]
    public void The_preferred_hosts_free_gpus_come_first()
    {
        Assert.Equal(["h2/gpu1", "h3/gpu0", "h1/gpu1"], GpuChooser.Choose(Hosts, 3, new HashSet<string> { "h1/gpu0", "h2/gpu0" }, first: "h2"));
        Assert.Equal(["h2/gpu0"], GpuChooser.Choose(Hosts, 1, new HashSet<string>(), first: "h2"));
    }

    [Fact]
    public void Too_few_free_gpus_is_null_preferred_host_or_not()
    {
        Assert.Null(GpuChooser.Choose(Hosts, 5, new HashSet<string> { "h1/gpu0" }, first: "h1"));
    }
}
