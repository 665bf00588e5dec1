using System.Net;
using System.Net.Sockets;
using BlitzScale.Cli.Commands;
using BlitzScale.Grains.Interfaces.Security;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>
/// The probe's cases that need no silo: a gateway that does not speak TLS (it closes on a TLS hello, as a plain Orleans
/// gateway does) is a mismatch only for a TLS client, and a port where nothing listens teaches nothing.
/// </summary>
public sealed class GatewayTlsProbeTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestCertificates _ca = new("probe-ca");

    [Fact]
    public async Task A_gateway_without_TLS_is_a_mismatch_for_a_TLS_client_only()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var gateway = (IPEndPoint)listener.LocalEndpoint;
        var closer = Task.Run(async () =>
        {
            for (int i = 0; i < 2; i++)
            {
                using var connection = await listener.AcceptTcpClientAsync();
                _ = await connection.GetStream().ReadAsync(new byte[512]);
            }
        });
        var tls = TlsCertificates.Load(new TlsFiles(TestCertificates.WritePfx(_ca.Issue("client"), _dir.File("client.pfx"))), null, server: false);

        var tlsClient = await GatewayTlsProbe.ProbeAsync(gateway, tls, CancellationToken.None);
        Assert.True(tlsClient.Reached);
        Assert.Contains("does not speak TLS", tlsClient.Mismatch);

        var plainClient = await GatewayTlsProbe.ProbeAsync(gateway, null, CancellationToken.None);
        Assert.Equal(new GatewayTlsProbe.Finding(true, null), plainClient);
        await closer;
    }

    [Fact]
    public async Task A_port_where_nothing_listens_teaches_nothing()
    {
        var finding = await GatewayTlsProbe.ProbeAsync(new IPEndPoint(IPAddress.Loopback, Silo.FreePorts.Next()), null, CancellationToken.None);
        Assert.Equal(new GatewayTlsProbe.Finding(false, null), finding);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _dir.Dispose();
    }
}
