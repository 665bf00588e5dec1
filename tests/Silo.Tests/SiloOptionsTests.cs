using BlitzScale.Tests.Shared;
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
        Assert.Equal("http://127.0.0.1:8080/", silo.DashboardUrl);
        Assert.Equal(("localhost", "redis", "localhost", "blitzscale"),
            (SiloOptions.LocalhostClustering, SiloOptions.RedisClustering, SiloOptions.DefaultClustering, SiloOptions.DefaultClusterId));
        Assert.Equal((11111, 30000, 11111, "127.0.0.1", true, 8080),
            (SiloOptions.DefaultSiloPort, SiloOptions.DefaultGatewayPort, SiloOptions.DefaultPrimarySiloPort,
             SiloOptions.DefaultAdvertisedAddress, SiloOptions.DefaultDashboard, SiloOptions.DefaultDashboardPort));

        var host = new GpuHostOptions();
        Assert.Equal(Environment.MachineName, host.Host);
        Assert.Equal(1, host.Gpus);
        Assert.Equal("cpu", host.Backend);
        Assert.Equal(8.0, host.GpuMemoryGiB);
        Assert.Equal(100.0, host.NicGbps);
        Assert.Equal("leaf0", host.LeafSwitch);
        Assert.Null(host.CostProfile);
        Assert.Equal("llama3-8b", host.CostModel);
        Assert.Equal(1.0, host.TimeDilation);
        Assert.Equal(("cpu", "cuda", "timed", "cpu", "llama3-8b", 1.0),
            (GpuHostOptions.CpuBackend, GpuHostOptions.CudaBackend, GpuHostOptions.TimedBackend, GpuHostOptions.DefaultBackend,
             GpuHostOptions.DefaultCostModel, GpuHostOptions.DefaultTimeDilation));
        Assert.Equal(["cpu", "cuda", "timed"], GpuHostOptions.Backends);
        Assert.Empty(SiloOptionsValidator.Validate(silo));
        Assert.Empty(GpuHostOptionsValidator.Validate(host));
    }

    [Theory]
    [InlineData("SiloPort", "SiloPort: expected a port from 1 to 65535, found 0")]
    [InlineData("GatewayPort", "GatewayPort: expected a port from 1 to 65535, found 70000")]
    [InlineData("Same", "GatewayPort: expected a port other than SiloPort, found 11111 for both")]
    [InlineData("Redis", "Redis: redis clustering needs the Redis endpoint (host:port), found none")]
    [InlineData("RedisEndpoint", "Redis: expected host:port, found \"a:b:c\"")]
    [InlineData("ClusterId", "ClusterId: expected a name, found an empty one")]
    [InlineData("DashboardPort", "DashboardPort: expected a port other than SiloPort and GatewayPort, found 30000")]
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
            case "RedisEndpoint": o.Redis = "a:b:c"; break;
            case "ClusterId": o.ClusterId = " "; break;
            case "DashboardPort": o.DashboardPort = o.GatewayPort; break;
            case "Clustering": o.Clustering = "zk"; break;
            case "Advertise": o.AdvertisedAddress = "not-an-ip"; break;
        }
        Assert.Contains(SiloOptionsValidator.Validate(o), e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("127.0.0.1:6379", true)]
    [InlineData("redis-host:6379", true)]
    [InlineData("[::1]:6379", true)]
    [InlineData("10.0.0.1:6379,10.0.0.2:6379", true)]
    [InlineData("redis-host", false)]
    [InlineData("redis://127.0.0.1:6379", false)]
    [InlineData("h:99999", false)]
    [InlineData("h:abc", false)]
    public void RedisEndpointsNeedAHostAndAPort(string redis, bool valid)
    {
        var errors = SiloOptionsValidator.Validate(new SiloOptions { Clustering = SiloOptions.RedisClustering, Redis = redis });
        if (valid) Assert.Empty(errors);
        else Assert.Equal($"Redis: expected host:port, found \"{redis}\"", Assert.Single(errors));
    }

    [Fact]
    public void A_timed_host_with_a_profile_that_has_its_model_is_valid()
    {
        using var dir = new TempDirectory();
        string profile = TimedProfile.Write(dir);
        Assert.Empty(GpuHostOptionsValidator.Validate(new GpuHostOptions { Backend = "timed", CostProfile = profile, CostModel = "small", TimeDilation = 4 }));
    }

    [Fact]
    public void A_timed_host_needs_a_cost_profile() =>
        Assert.Equal(
            "CostProfile: the timed backend needs a cost profile (a JSON-lines file such as measurements/h200-layer-costs.jsonl), found none",
            Assert.Single(GpuHostOptionsValidator.Validate(new GpuHostOptions { Backend = "timed" })));

    [Fact]
    public void A_cost_model_the_profile_lacks_is_named_with_the_file_and_the_models_it_has()
    {
        using var dir = new TempDirectory();
        string profile = TimedProfile.Write(dir);
        Assert.Equal(
            $"CostModel: expected a model of the cost profile \"{profile}\" (small, large), found \"llama3-8b\"",
            Assert.Single(GpuHostOptionsValidator.Validate(new GpuHostOptions { Backend = "timed", CostProfile = profile })));
    }

    [Fact]
    public void A_malformed_cost_profile_is_named_with_the_line()
    {
        using var dir = new TempDirectory();
        string profile = dir.File("costs.jsonl");
        File.WriteAllText(profile, "{\"model\": \"small\", \"n_layers\": 2}\n");
        var error = Assert.Single(GpuHostOptionsValidator.Validate(new GpuHostOptions { Backend = "timed", CostProfile = profile, CostModel = "small" }));
        Assert.StartsWith($"CostProfile: cannot use \"{profile}\": {profile}, line 1: field \"layer_bytes_bf16\" is missing", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_profile_is_only_needed_by_the_timed_backend() =>
        Assert.Empty(GpuHostOptionsValidator.Validate(new GpuHostOptions { Backend = "cuda", CostProfile = "/nowhere.jsonl" }));

    [Theory]
    [InlineData(0.0)]
    [InlineData(-2.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_time_dilation_must_be_positive_and_finite(double dilation) =>
        Assert.Equal($"TimeDilation: expected a positive number, found {dilation}",
            Assert.Single(GpuHostOptionsValidator.Validate(new GpuHostOptions { TimeDilation = dilation })));

    [Theory]
    [InlineData(0.0)]
    [InlineData(-554.3)]
    [InlineData(double.PositiveInfinity)]
    public void A_host_to_device_rate_must_be_positive_and_finite(double rate) =>
        Assert.Equal($"HostToDeviceMBps: expected a positive number, found {rate} (--host-to-device-mbps)",
            Assert.Single(SiloConfiguration.Validate(new SiloOptions(), new GpuHostOptions { HostToDeviceMBps = rate })));

    [Theory]
    [InlineData("sometimes")]
    [InlineData("")]
    public void A_live_move_must_be_one_of_the_three_rules(string move) =>
        Assert.Equal($"LiveMove: expected never, when-waiting or after-prompt, found \"{move}\" (--live-move)",
            Assert.Single(SiloConfiguration.Validate(new SiloOptions(), new GpuHostOptions { LiveMove = move })));

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void An_activation_share_must_be_in_zero_to_one(double share) =>
        Assert.Equal($"ActivationShare: expected a share in (0, 1], found {share} (--activation-share)",
            Assert.Single(SiloConfiguration.Validate(new SiloOptions(), new GpuHostOptions { ActivationShare = share })));

    [Fact]
    public void An_activation_share_below_one_needs_the_timed_backend() =>
        Assert.Contains("below 1 only with the timed backend",
            Assert.Single(SiloConfiguration.Validate(new SiloOptions(), new GpuHostOptions { ActivationShare = 0.125 })));

    [Theory]
    [InlineData("never")]
    [InlineData("When-Waiting")]
    [InlineData("after-prompt")]
    public void A_live_move_rule_by_name_is_accepted(string move) =>
        Assert.Empty(SiloConfiguration.Validate(new SiloOptions(), new GpuHostOptions { LiveMove = move }));

    [Fact]
    public void ADashboardThatIsOffNeedsNoPort() =>
        Assert.Empty(SiloOptionsValidator.Validate(new SiloOptions { Dashboard = false, DashboardPort = 0 }));

    [Fact]
    public void TheCombinedValidationListsSiloAndHostProblemsWithTheirAliases()
    {
        var errors = SiloConfiguration.Validate(new SiloOptions { SiloPort = 70000 }, new GpuHostOptions { Gpus = 0 });
        Assert.Equal(
        [
            "SiloPort: expected a port from 1 to 65535, found 70000 (--silo-port)",
            "Gpus: expected 1 to 64, found 0 (--gpus)",
        ], errors);
    }
}
