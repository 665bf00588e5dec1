using BlitzScale.Tests.Shared;

namespace BlitzScale.Silo.Tests.Api;

/// <summary>The HTTP API's silo options: defaults, switches (a repeatable --api-key) and validation.</summary>
public sealed class ApiOptionsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void By_default_the_api_is_on_port_8000_without_keys_so_on_loopback()
    {
        var (silo, _, errors) = SiloConfiguration.Load([], _dir.Path);
        Assert.Empty(errors);
        Assert.True(silo.Api);
        Assert.Equal(8000, silo.HttpPort);
        Assert.Empty(silo.ApiKeys);
        Assert.Equal("http://127.0.0.1:8000", silo.ApiListenUrl);
    }

    [Fact]
    public void Api_key_repeats_and_http_port_and_api_switch_map_to_their_options()
    {
        var (silo, _, errors) = SiloConfiguration.Load(["--api-key", "k1", "--http-port", "9001", "--api-key=k2", "--api", "true"], _dir.Path);
        Assert.Empty(errors);
        Assert.Equal(["k1", "k2"], silo.ApiKeys);
        Assert.Equal(9001, silo.HttpPort);
        Assert.Equal("http://0.0.0.0:9001", silo.ApiListenUrl);

        var off = SiloConfiguration.Load(["--api", "false"], _dir.Path).Silo;
        Assert.Null(off.ApiListenUrl);
    }

    [Fact]
    public void Keys_come_from_the_configuration_as_a_list()
    {
        File.WriteAllText(_dir.File("appsettings.json"), """{"BlitzScale": {"Silo": {"ApiKeys": ["a", "b", "c"]}}}""");
        var (silo, _, errors) = SiloConfiguration.Load([], _dir.Path);
        Assert.Empty(errors);
        Assert.Equal(["a", "b", "c"], silo.ApiKeys);
    }

    [Fact]
    public void A_bad_port_a_clashing_port_a_blank_key_or_a_key_without_value_is_refused()
    {
        Assert.Contains("HttpPort: expected a port from 1 to 65535, found 0 (--http-port)", SiloConfiguration.Load(["--http-port", "0"], _dir.Path).Errors);
        Assert.Contains("HttpPort: expected a port other than SiloPort, GatewayPort and DashboardPort, found 8080 (--http-port)",
            SiloConfiguration.Load(["--http-port", "8080"], _dir.Path).Errors);
        Assert.Contains("ApiKeys[1]: expected a key without whitespace, found \"a b\"", SiloConfiguration.Load(["--api-key", "ok", "--api-key", "a b"], _dir.Path).Errors);
        Assert.Contains("--api-key: expected a value after it, found the end of the command line", SiloConfiguration.Load(["--api-key"], _dir.Path).Errors);
    }

    public void Dispose() => _dir.Dispose();
}
