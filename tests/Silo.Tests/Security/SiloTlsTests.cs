using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using BlitzScale.Grains.Hosting;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Silo.Tests.Security;

/// <summary>
/// The silo's TLS options: switches, the checks that name them, a certificate file that cannot be used, and the HTTP API
/// over HTTPS with the silo's certificate (plain HTTP on its port gets nothing).
/// </summary>
public sealed class SiloTlsTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestCertificates _ca = new("silo-test-ca");

    [Fact]
    public void The_tls_switches_map_to_their_options_and_make_the_api_https()
    {
        var (silo, _, errors) = SiloConfiguration.Load(["--tls-cert", "/c/silo.crt", "--tls-key", "/c/silo.key", "--tls-ca=/c/ca.pem"], _dir.Path);
        Assert.Empty(errors);
        Assert.Equal(("/c/silo.crt", "/c/silo.key", "/c/ca.pem"), (silo.TlsCertificate, silo.TlsKey, silo.TlsCa));
        Assert.True(silo.Tls);
        Assert.Equal("https://127.0.0.1:8000", silo.ApiListenUrl);

        var plain = SiloConfiguration.Load([], _dir.Path).Silo;
        Assert.False(plain.Tls);
        Assert.Equal("http://127.0.0.1:8000", plain.ApiListenUrl);
    }

    [Fact]
    public void A_key_or_a_CA_without_a_certificate_is_an_error_naming_the_switch()
    {
        var (_, _, errors) = SiloConfiguration.Load(["--tls-key", "/c/silo.key", "--tls-ca", "/c/ca.pem"], _dir.Path);
        Assert.Contains(errors, e => e.StartsWith("TlsKey: ", StringComparison.Ordinal) && e.EndsWith("(--tls-key)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("TlsCa: ", StringComparison.Ordinal) && e.EndsWith("(--tls-ca)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_certificate_file_that_cannot_be_read_stops_the_silo_naming_the_switch_and_the_file()
    {
        string missing = _dir.File("nope.pfx");
        var options = new SiloOptions { Dashboard = false, Api = false, TlsCertificate = missing };
        var error = Assert.Throws<ArgumentException>(() => BlitzSilo.Build(options, new GpuHostOptions { Host = "tls-bad" }));
        Assert.StartsWith($"TlsCertificate (--tls-cert): TLS certificate \"{missing}\": cannot read it", error.Message);

        string ca = _dir.File("nope-ca.pem");
        options.TlsCertificate = TestCertificates.WritePfx(_ca.Issue("silo"), _dir.File("silo.pfx"));
        options.TlsCa = ca;
        error = Assert.Throws<ArgumentException>(() => BlitzSilo.Build(options, new GpuHostOptions { Host = "tls-bad" }));
        Assert.StartsWith($"TlsCa (--tls-ca): TLS CA certificate \"{ca}\": cannot read it", error.Message);
    }

    [Fact]
    public async Task The_api_answers_over_https_with_the_silo_certificate_and_not_over_plain_http()
    {
        int siloPort = FreePorts.Next(), gatewayPort = FreePorts.Next(), httpPort = FreePorts.Next();
        TestCertificates.WritePem(_ca.Issue("api-silo"), _dir.File("silo.crt"), _dir.File("silo.key"));
        var options = new SiloOptions
        {
            SiloPort = siloPort, PrimarySiloPort = siloPort, GatewayPort = gatewayPort, Dashboard = false, HttpPort = httpPort,
            TlsCertificate = _dir.File("silo.crt"), TlsKey = _dir.File("silo.key"), TlsCa = _ca.WriteAuthority(_dir.File("ca.pem")),
        };
        await using var silo = BlitzSilo.Build(options, new GpuHostOptions { Host = "https-host" });
        await silo.StartAsync();
        try
        {
            // A caller that trusts the test CA (and nothing else), as a user would add it to their trust store.
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, certificate, _, _) => SignedByTestCa(certificate!) };
            using var https = new HttpClient(handler);
            using var models = await https.GetAsync($"https://127.0.0.1:{httpPort}/v1/models");
            Assert.Equal(HttpStatusCode.OK, models.StatusCode);
            using var body = JsonDocument.Parse(await models.Content.ReadAsStringAsync());
            Assert.Equal("list", body.RootElement.GetProperty("object").GetString());

            using var plain = new HttpClient();
            await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync($"http://127.0.0.1:{httpPort}/v1/models"));
            // And a caller that trusts only the system's roots refuses the private CA's certificate.
            using var strict = new HttpClient();
            await Assert.ThrowsAsync<HttpRequestException>(() => strict.GetAsync($"https://127.0.0.1:{httpPort}/v1/models"));
        }
        finally
        {
            await silo.StopAsync();
        }
    }

    private bool SignedByTestCa(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca.Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _dir.Dispose();
    }
}
