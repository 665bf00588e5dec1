using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Security;
using BlitzScale.Silo;
using BlitzScale.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SiloOptions = BlitzScale.Silo.SiloOptions;

namespace BlitzScale.Client.Tests.Security;

/// <summary>
/// Two silos with TLS on (certificates from one test CA, in a temp directory): they talk to each other over mutual TLS
/// and their gateways admit only clients that present a certificate the CA signed. Also a second CA, whose
/// certificates the cluster must refuse.
/// </summary>
public sealed class TlsCluster : IAsyncLifetime
{
    private readonly TempDirectory _files = new();
    private readonly TestCertificates _ca = new("blitz-test-ca");
    private readonly TestCertificates _otherCa = new("other-test-ca");
    private readonly List<IHost> _silos = [];

    public int GatewayPort { get; private set; }
    public string CaFile { get; private set; } = "";
    public string OtherCaFile { get; private set; } = "";

    /// <summary>A client certificate the cluster's CA signed (PFX).</summary>
    public string ClientPfx { get; private set; } = "";

    /// <summary>A client certificate the other CA signed (PFX).</summary>
    public string StrangerPfx { get; private set; } = "";

    public string File(string name) => _files.File(name);

    public async Task InitializeAsync()
    {
        CaFile = _ca.WriteAuthority(_files.File("ca.pem"));
        OtherCaFile = _otherCa.WriteAuthority(_files.File("other-ca.pem"));
        ClientPfx = TestCertificates.WritePfx(_ca.Issue("client"), _files.File("client.pfx"));
        StrangerPfx = TestCertificates.WritePfx(_otherCa.Issue("stranger"), _files.File("stranger.pfx"));
        // One silo with a PFX, the other with a PEM certificate and key: both forms on the same cluster.
        string pfx = TestCertificates.WritePfx(_ca.Issue("silo-a"), _files.File("silo-a.pfx"));
        TestCertificates.WritePem(_ca.Issue("silo-b"), _files.File("silo-b.crt"), _files.File("silo-b.key"));

        int primary = FreePorts.Next();
        GatewayPort = FreePorts.Next();
        await Start(new SiloOptions { SiloPort = primary, PrimarySiloPort = primary, GatewayPort = GatewayPort, Dashboard = false, Api = false, TlsCertificate = pfx, TlsCa = CaFile }, "tls-a");
        int second = FreePorts.Next();
        await Start(new SiloOptions { SiloPort = second, PrimarySiloPort = primary, GatewayPort = FreePorts.Next(), Dashboard = false, Api = false,
            TlsCertificate = _files.File("silo-b.crt"), TlsKey = _files.File("silo-b.key"), TlsCa = CaFile }, "tls-b");
    }

    private async Task Start(SiloOptions options, string host)
    {
        var silo = BlitzSilo.Build(options, new GpuHostOptions { Host = host, Gpus = 1, GpuMemoryGiB = 1 });
        _silos.Add(silo);
        await silo.StartAsync();
    }

    /// <summary>
    /// An Orleans client of the cluster (TLS when <paramref name="tls"/> is given) that gives up after its first failed
    /// connection attempt, returned started.
    /// </summary>
    public async Task<IHost> ConnectAsync(TlsCertificates? tls)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(GatewayPort, SiloOptions.DefaultClusterId, SiloOptions.DefaultClusterId).AddBlitzScaleClient();
            if (tls is not null) client.UseBlitzScaleTls(tls);
            client.UseConnectionRetryFilter((_, _) => Task.FromResult(false));
        });
        var host = builder.Build();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.StartAsync(timeout.Token);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in Enumerable.Reverse(_silos))
        {
            await silo.StopAsync();
            silo.Dispose();
        }
        _ca.Dispose();
        _otherCa.Dispose();
        _files.Dispose();
    }
}
