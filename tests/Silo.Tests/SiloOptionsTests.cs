using BlitzScale.Grains.Hosting;

namespace BlitzScale.Silo.Tests;

/// <summary>Pins the defaults and the validation of a silo's options.</summary>
public sealed class SiloOptionsTests
{
    [Fact]
    public void DefaultsArePinned()
    {
        var silo = new SiloOptions();
        Assert.Equal("localhost", silo.Clustering);
        Assert.Null(silo.Redis);
        Assert.Equal("blitzscale", silo.ClusterId);
        Assert.Null(silo.ServiceId);
        Assert.Equal("blitzscale", silo.EffectiveServiceId);
        Assert.Equal(11111, silo.SiloPort);
        Assert.Equal(30000, silo.GatewayPort);
        Assert.Equal(11111, silo.PrimarySiloPort);
        Assert.Equal("127.0.0.1", silo.AdvertisedAddress);
        Assert.True(silo.Dashboard);
        Assert.Equal(8080, silo.DashboardPort);

        var host = new GpuHostOptions();
        Assert.Equal(Environment.MachineName, host.Host);
        Assert.Equal(1, host.Gpus);
        Assert.Equal("cpu", host.Backend);
        Assert.Equal(8.0, host.GpuMemoryGiB);
        Assert.Equal(100.0, host.NicGbps);
        Assert.Equal("leaf0", host.LeafSwitch);
        Assert.Empty(SiloOptionsValidator.Validate(silo));
        Assert.Empty(GpuHostOptionsValidator.Validate(host));
    }

    [Theory]
    [InlineData("SiloPort", "SiloPort: expected a port from 1 to 65535, found 0")]
    [InlineData("GatewayPort", "GatewayPort: expected a port from 1 to 65535, found 70000")]
    [InlineData("Same", "GatewayPort: must differ from SiloPort, both are 11111")]
    [InlineData("Redis", "Redis: redis clustering needs the Redis endpoint")]
    [InlineData("Clustering", "Clustering: expected \"localhost\" or \"redis\", found \"zk\"")]
    [InlineData("Advertise", "AdvertisedAddress: expected an IP address, found \"not-an-ip\"")]
    public void InvalidSiloOptionsAreNamed(string what, string expected)
    {
        var o = new SiloOptions();
        switch (what)
        {
            case "SiloPort": o.SiloPort = 0; break;
            case "GatewayPort": o.GatewayPort = 70000; break;
            case "Same": o.GatewayPort = o.SiloPort; break;
            case "Redis": o.Clustering = SiloOptions.RedisClustering; break;
            case "Clustering": o.Clustering = "zk"; break;
            case "Advertise": o.AdvertisedAddress = "not-an-ip"; break;
        }
        Assert.Contains(SiloOptionsValidator.Validate(o), e => e.StartsWith(expected, StringComparison.Ordinal));
    }
}
