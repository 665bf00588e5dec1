using BlitzScale.Tests.Shared;

namespace BlitzScale.Silo.Tests;

/// <summary>Command-line aliases, configuration layering and start-up validation, without starting a silo.</summary>
public sealed class SiloConfigurationTests : IDisposable
{
    private readonly TempDirectory _empty = new(); // no appsettings.json: defaults come from the option classes

    [Fact]
    public void AliasesMapToTheirOptions()
    {
        var (silo, host, errors) = SiloConfiguration.Load(
        [
            "--host", "h7", "--gpus", "4", "--gpu-memory-gib", "2.5", "--nvlink-group", "nv1", "--nic-gbps", "25", "--leaf-switch", "leaf3",
            "--silo-port", "12000", "--gateway-port", "31000", "--primary-port", "12000", "--dashboard", "false", "--cluster-id", "c9",
        ], _empty.Path);
        Assert.Empty(errors);
        Assert.Equal(("h7", 4, 2.5, "nv1", 25.0, "leaf3"), (host.Host, host.Gpus, host.GpuMemoryGiB, host.NvlinkGroup, host.NicGbps, host.LeafSwitch));
        Assert.Equal((12000, 31000, 12000, false, "c9"), (silo.SiloPort, silo.GatewayPort, silo.PrimarySiloPort, silo.Dashboard, silo.ClusterId));
        Assert.Equal(SiloOptions.LocalhostClustering, silo.Clustering);
    }

    [Fact]
    public void ARedisEndpointImpliesRedisClustering()
    {
        var (silo, _, errors) = SiloConfiguration.Load(["--redis", "127.0.0.1:6379", "--advertise", "10.222.0.2"], _empty.Path);
        Assert.Empty(errors);
        Assert.Equal(SiloOptions.RedisClustering, silo.Clustering);
        Assert.Equal("127.0.0.1:6379", silo.Redis);
        Assert.Equal("10.222.0.2", silo.AdvertisedAddress);
    }

    [Fact]
    public void EveryProblemIsListed()
    {
        var (_, _, errors) = SiloConfiguration.Load(["--gpus", "0", "--backend", "tpu", "--silo-port", "0"], _empty.Path);
        Assert.Contains(errors, e => e.StartsWith("Gpus: expected 1 to 64, found 0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Backend: expected one of cpu, found \"tpu\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("SiloPort: expected a port", StringComparison.Ordinal));
    }

    [Fact]
    public void UnknownOptionsAndUnparsableValuesAreErrors()
    {
        Assert.Contains(SiloConfiguration.Load(["--gpu", "2"], _empty.Path).Errors, e => e.StartsWith("--gpu: unknown option", StringComparison.Ordinal));
        Assert.Contains(SiloConfiguration.Load(["--gpus", "two"], _empty.Path).Errors, e => e.Contains("Gpus", StringComparison.Ordinal));
    }

    [Fact]
    public void AppSettingsAndEnvironmentAreLayeredUnderTheCommandLine()
    {
        File.WriteAllText(Path.Combine(_empty.Path, "appsettings.json"), """{"BlitzScale": {"Host": {"Gpus": 3, "Host": "from-file"}}}""");
        var (_, host, errors) = SiloConfiguration.Load(["--host", "from-cli"], _empty.Path);
        Assert.Empty(errors);
        Assert.Equal(("from-cli", 3), (host.Host, host.Gpus));
    }

    [Fact]
    public async Task InvalidOptionsExitWithTwo() => Assert.Equal(2, await BlitzSilo.RunAsync(["--gpus", "0"]));

    public void Dispose() => _empty.Dispose();
}
