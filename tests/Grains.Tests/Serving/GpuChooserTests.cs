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
        Assert.Equal(["h2/gpu1", "h3/gpu0", "h1/gpu1"], GpuChooser.Choose(Hosts, 3, new HashSet<string> { "h1/gpu0", "h2/gpu0" }, preferred: ["h2"]));
        Assert.Equal(["h2/gpu0"], GpuChooser.Choose(Hosts, 1, new HashSet<string>(), preferred: ["h2"]));
    }

    [Fact]
    public void Preferred_hosts_fill_in_their_order_and_unknown_or_full_ones_are_passed_over()
    {
        // A sender's host (NVLink) before the copy's host; h9 has no silo; h3's one GPU is taken.
        Assert.Equal(["h1/gpu1", "h2/gpu0", "h2/gpu1", "h3/gpu0"],
            GpuChooser.Choose(Hosts, 4, new HashSet<string> { "h1/gpu0" }, preferred: ["h9", "h1", "h2", "h1"]));
        Assert.Equal(["h2/gpu0", "h2/gpu1"], GpuChooser.Choose(Hosts, 2, new HashSet<string> { "h3/gpu0" }, preferred: ["h3", "h2", "h1"]));
        Assert.Equal(["h1/gpu1"], GpuChooser.Choose(Hosts, 1, new HashSet<string> { "h1/gpu0" }, preferred: ["h1", "h2"]));
    }

    [Fact]
    public void Too_few_free_gpus_is_null_preferred_host_or_not()
    {
        Assert.Null(GpuChooser.Choose(Hosts, 5, new HashSet<string> { "h1/gpu0" }, preferred: ["h1"]));
    }
}
