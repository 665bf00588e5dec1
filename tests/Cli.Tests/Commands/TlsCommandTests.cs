using BlitzScale.Grains.Hosting;
using BlitzScale.Silo;
using BlitzScale.Tests.Shared;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;
using SiloOptions = BlitzScale.Silo.SiloOptions;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>
/// The cluster commands against a silo with TLS on: with the cluster CA's certificate `blitz status` works; without
/// TLS, with another CA's certificate, or trusting another CA it fails in one line saying which (exit 1, no stack
/// trace, seconds rather than the 120 s connect timeout); a certificate file that is not there is a usage error naming it.
/// </summary>
public sealed class TlsCommandTests(CliFixture fixture, ITestOutputHelper output) : IClassFixture<CliFixture>, IAsyncLifetime
{
    // Far below the default connect timeout (120 s): the TLS probe ends the retries after the first closed connection.
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new();
    private readonly TestCertificates _ca = new("cli-test-ca");
    private readonly TestCertificates _other = new("cli-other-ca");
    private IHost? _silo;
    private string _cluster = "";
    private string _caFile = "";

    public async Task InitializeAsync()
    {
        _caFile = _ca.WriteAuthority(_dir.File("ca.pem"));
        int siloPort = FreePorts.Next(), gatewayPort = FreePorts.Next();
        _silo = BlitzSilo.Build(new SiloOptions
        {
            SiloPort = siloPort, PrimarySiloPort = siloPort, GatewayPort = gatewayPort, Dashboard = false, Api = false,
            TlsCertificate = TestCertificates.WritePfx(_ca.Issue("cli-silo"), _dir.File("silo.pfx")), TlsCa = _caFile,
        }, new GpuHostOptions { Host = "tls-cli-host", Gpus = 1, GpuMemoryGiB = 1 });
        await _silo.StartAsync();
        _cluster = $"localhost:{gatewayPort}";
    }

    [Fact]
    public async Task Status_over_TLS_with_a_certificate_of_the_cluster_CA_works()
    {
        TestCertificates.WritePem(_ca.Issue("cli-client", "1.3.6.1.5.5.7.3.2"), _dir.File("client.crt"), _dir.File("client.key"));
        var status = await Status("--tls-cert", _dir.File("client.crt"), "--tls-key", _dir.File("client.key"), "--tls-ca", _caFile);
        Assert.True(status.ExitCode == 0, status.Stderr);
        Assert.Contains("tls-cli-host", status.Stdout);
    }

    [Fact]
    public async Task A_client_without_TLS_is_told_the_cluster_requires_it()
    {
        string line = await FailsInOneLine(await Status());
        Assert.Contains("requires TLS: connect with --tls-cert", line);
    }

    [Fact]
    public async Task A_client_with_another_CA_s_certificate_is_told_it_was_refused()
    {
        string both = _dir.File("both.pem");
        await File.WriteAllTextAsync(both, await File.ReadAllTextAsync(_caFile) + "\n" + await File.ReadAllTextAsync(_other.WriteAuthority(_dir.File("other.pem"))));
        string stranger = TestCertificates.WritePfx(_other.Issue("stranger"), _dir.File("stranger.pfx"));
        string line = await FailsInOneLine(await Status("--tls-cert", stranger, "--tls-ca", both));
        Assert.Contains("refused this client's certificate", line);
    }

    [Fact]
    public async Task A_client_trusting_another_CA_is_told_the_gateway_is_not_trusted()
    {
        string stranger = TestCertificates.WritePfx(_other.Issue("stranger"), _dir.File("stranger-2.pfx"));
        string line = await FailsInOneLine(await Status("--tls-cert", stranger, "--tls-ca", _other.WriteAuthority(_dir.File("other-2.pem"))));
        Assert.Contains("is not trusted: certificate \"CN=cli-silo\" does not chain to the cluster's CA", line);
    }

    [Fact]
    public async Task A_certificate_file_that_is_not_there_is_a_usage_error_naming_it()
    {
        string missing = _dir.File("missing.pfx");
        var result = await Status("--tls-cert", missing);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"blitz: error: --tls-cert: TLS certificate \"{missing}\": cannot read it: Could not find file '{missing}'.", result.Stderr.Trim());

        var orphan = await Status("--tls-ca", _caFile);
        Assert.Equal(2, orphan.ExitCode);
        Assert.Contains("--tls-ca: expected it only with --tls-cert", orphan.Stderr);
    }

    private async Task<BlitzProcess.Result> Status(params string[] args)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await BlitzProcess.Run(fixture.Cache, ["status", "--cluster", _cluster, .. args]);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s, exit {result.ExitCode}: {result.Stderr}");
        Assert.True(clock.Elapsed < Quick, $"took {clock.Elapsed.TotalSeconds:F0} s");
        return result;
    }

    private static Task<string> FailsInOneLine(BlitzProcess.Result result)
    {
        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain("   at ", result.Stderr);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("blitz: error: cannot reach the cluster at localhost:", line);
        return Task.FromResult(line);
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.StopAsync();
            _silo.Dispose();
        }
        _ca.Dispose();
        _other.Dispose();
        _dir.Dispose();
    }
}
