using BlitzScale.Tests.Shared;

namespace BlitzScale.Silo.Tests;

/// <summary>Command-line aliases, configuration layering and start-up validation, without starting a silo.</summary>
public sealed class SiloConfigurationTests : IDisposable
{
    private readonly TempDirectory _dir = new(); // no appsettings.json unless a test writes one

    [Fact]
    public void EveryAliasMapsToItsOption()
    {
        string models = _dir.Path;
        var (silo, host, errors) = SiloConfiguration.Load(
        [
            "--host", "h7", "--gpus", "4", "--backend", "cpu", "--gpu-memory-gib", "2.5", "--nvlink-group", "nv1", "--nic-gbps", "25",
            "--leaf-switch", "leaf3", "--models-dir", models,
            "--clustering", "localhost", "--cluster-id", "c9", "--silo-port", "12000", "--gateway-port", "31000", "--primary-port", "12001",
            "--advertise", "10.0.0.7", "--dashboard", "false", "--dashboard-port=9090",
        ], _dir.Path);
        Assert.Empty(errors);
        Assert.Equal(("h7", 4, "cpu", 2.5, "nv1", 25.0, "leaf3", models),
            (host.Host, host.Gpus, host.Backend, host.GpuMemoryGiB, host.NvlinkGroup, host.NicGbps, host.LeafSwitch, host.ModelsDirectory));
        Assert.Equal((SiloOptions.LocalhostClustering, "c9", 12000, 31000, 12001, "10.0.0.7", false, 9090),
            (silo.Clustering, silo.ClusterId, silo.SiloPort, silo.GatewayPort, silo.PrimarySiloPort, silo.AdvertisedAddress, silo.Dashboard, silo.DashboardPort));
    }

    [Fact]
    public void The_timed_backend_switches_map_to_their_options()
    {
        string profile = _dir.File("costs.jsonl");
        File.WriteAllText(profile, TimedProfile.Rows);
        var (_, host, errors) = SiloConfiguration.Load(
            ["--backend", "timed", "--cost-profile", profile, "--cost-model", "small", "--time-dilation", "5.25"], _dir.Path);
        Assert.Empty(errors);
        Assert.Equal(("timed", profile, "small", 5.25), (host.Backend, host.CostProfile, host.CostModel, host.TimeDilation));
    }

    [Fact]
    public void Timed_backend_problems_name_the_option_and_its_switch()
    {
        string absent = _dir.File("absent.jsonl");
        var errors = SiloConfiguration.Load(["--backend", "timed", "--cost-profile", absent, "--time-dilation", "0"], _dir.Path).Errors;
        Assert.Equal(2, errors.Count);
        Assert.StartsWith($"CostProfile: cannot use \"{absent}\": ", errors[0], StringComparison.Ordinal);
        Assert.EndsWith("(--cost-profile)", errors[0], StringComparison.Ordinal);
        Assert.Equal("TimeDilation: expected a positive number, found 0 (--time-dilation)", errors[1]);
        Assert.Equal("TimeDilation: expected a number, found \"fast\" (--time-dilation)",
            Assert.Single(SiloConfiguration.Load(["--time-dilation", "fast"], _dir.Path).Errors));
    }

    [Fact]
    public void NothingGivenMeansTheDefaults()
    {
        var (silo, host, errors) = SiloConfiguration.Load([], _dir.Path);
        Assert.Empty(errors);
        Assert.Equal((SiloOptions.DefaultClustering, SiloOptions.DefaultSiloPort, SiloOptions.DefaultDashboard), (silo.Clustering, silo.SiloPort, silo.Dashboard));
        Assert.Equal((Environment.MachineName, 1), (host.Host, host.Gpus));
    }

    [Fact]
    public void FullConfigurationKeysWorkOnTheCommandLineToo()
    {
        var (silo, host, errors) = SiloConfiguration.Load(["--BlitzScale:Host:Gpus=3", "--blitzscale:silo:ServiceId", "svc"], _dir.Path);
        Assert.Empty(errors);
        Assert.Equal((3, "svc"), (host.Gpus, silo.EffectiveServiceId));
    }

    [Fact]
    public void ARedisEndpointImpliesRedisClustering()
    {
        var (silo, _, errors) = SiloConfiguration.Load(["--redis", "127.0.0.1:6379", "--advertise", "10.222.0.2"], _dir.Path);
        Assert.Empty(errors);
        Assert.Equal((SiloOptions.RedisClustering, "127.0.0.1:6379", "10.222.0.2"), (silo.Clustering, silo.Redis, silo.AdvertisedAddress));
    }

    [Fact]
    public void ARedisEndpointOnTheCommandLineOverridesTheFilesClusteringButNotTheCommandLines()
    {
        File.WriteAllText(_dir.File("appsettings.json"), """{"BlitzScale": {"Silo": {"Clustering": "localhost"}}}""");
        Assert.Equal(SiloOptions.RedisClustering, SiloConfiguration.Load(["--redis", "127.0.0.1:6379"], _dir.Path).Silo.Clustering);
        Assert.Equal(SiloOptions.LocalhostClustering,
            SiloConfiguration.Load(["--redis", "127.0.0.1:6379", "--clustering", "localhost"], _dir.Path).Silo.Clustering);
    }

    [Fact]
    public void RedisClusteringWithoutAnEndpointIsAnError() =>
        Assert.Contains("Redis: redis clustering needs the Redis endpoint (host:port), found none (--redis)",
            SiloConfiguration.Load(["--clustering", "redis"], _dir.Path).Errors);

    [Fact]
    public void EveryProblemIsListed()
    {
        var (_, _, errors) = SiloConfiguration.Load(["--gpus", "0", "--backend", "tpu", "--silo-port", "0", "--clustering", "zk", "--advertise", "nowhere"], _dir.Path);
        Assert.Equal(
        [
            "Clustering: expected \"localhost\" or \"redis\", found \"zk\" (--clustering)",
            "SiloPort: expected a port from 1 to 65535, found 0 (--silo-port)",
            "AdvertisedAddress: expected an IP address, found \"nowhere\" (--advertise)",
            "Gpus: expected 1 to 64, found 0 (--gpus)",
            "Backend: expected one of cpu, cuda, timed, found \"tpu\" (--backend)",
        ], errors);
    }

    [Fact]
    public void EveryUnparsableValueIsListed()
    {
        var (_, _, errors) = SiloConfiguration.Load(["--gpus", "two", "--dashboard", "maybe", "--nic-gbps", "fast"], _dir.Path);
        Assert.Equal(
        [
            "Dashboard: expected true or false, found \"maybe\" (--dashboard)",
            "Gpus: expected an integer, found \"two\" (--gpus)",
            "NicGbps: expected a number, found \"fast\" (--nic-gbps)",
        ], errors);
    }

    [Fact]
    public void UnknownOptionsMissingValuesAndStrayWordsAreErrors()
    {
        var errors = SiloConfiguration.Load(["--gpu", "2", "stray", "--dashboard"], _dir.Path).Errors;
        Assert.Equal(3, errors.Count);
        Assert.StartsWith("--gpu: unknown option; expected one of --host, --gpus,", errors[0], StringComparison.Ordinal);
        Assert.Equal("\"stray\": expected an option such as --gpus 2, found a stray argument", errors[1]);
        Assert.Equal("--dashboard: expected a value after it, found the end of the command line", errors[2]);
    }

    [Fact]
    public void CommandLineValueAndValidationProblemsAreListedTogether()
    {
        var errors = SiloConfiguration.Load(["--gpuz", "2", "--gpus", "two", "--silo-port", "0"], _dir.Path).Errors;
        Assert.Equal(3, errors.Count);
        Assert.StartsWith("--gpuz: unknown option", errors[0], StringComparison.Ordinal);
        Assert.Equal("Gpus: expected an integer, found \"two\" (--gpus)", errors[1]);
        Assert.Equal("SiloPort: expected a port from 1 to 65535, found 0 (--silo-port)", errors[2]);
    }

    [Fact]
    public void UnknownSettingsInASectionAreErrors()
    {
        File.WriteAllText(_dir.File("appsettings.json"), """{"BlitzScale": {"Host": {"Gpuz": 2}}}""");
        var error = Assert.Single(SiloConfiguration.Load([], _dir.Path).Errors);
        Assert.StartsWith("BlitzScale:Host:Gpuz: unknown setting; expected one of ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AppSettingsThenEnvironmentThenCommandLine()
    {
        File.WriteAllText(_dir.File("appsettings.json"),
            """{"BlitzScale": {"Host": {"Gpus": 3, "Host": "from-file", "LeafSwitch": "leaf-file"}}}""");
        const string variable = "BlitzScale__Host__LeafSwitch";
        Environment.SetEnvironmentVariable(variable, "leaf-env");
        try
        {
            var (_, host, errors) = SiloConfiguration.Load(["--host", "from-cli"], _dir.Path);
            Assert.Empty(errors);
            Assert.Equal(("from-cli", 3, "leaf-env"), (host.Host, host.Gpus, host.LeafSwitch));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void BuildFromArgumentsRejectsInvalidOptionsWithEveryProblem()
    {
        var e = Assert.Throws<ArgumentException>(() => BlitzSilo.Build(["--gpus", "0", "--silo-port", "0"]));
        Assert.Contains("Gpus: expected 1 to 64, found 0 (--gpus)", e.Message, StringComparison.Ordinal);
        Assert.Contains("SiloPort: expected a port from 1 to 65535, found 0 (--silo-port)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidOptionsExitWithTwo() => Assert.Equal(2, await BlitzSilo.RunAsync(["--gpus", "0"]));

    public void Dispose() => _dir.Dispose();
}
