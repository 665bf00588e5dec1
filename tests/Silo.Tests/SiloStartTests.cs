using System.Net;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Topology;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace BlitzScale.Silo.Tests;

/// <summary>A real silo starts, registers its host, serves the dashboard when asked, and stops.</summary>
public sealed class SiloStartTests
{
    [Fact]
    public async Task SiloWithDashboardServesItAndRegistersItsHost()
    {
        int siloPort = FreePorts.Next(), gatewayPort = FreePorts.Next(), dashboardPort = FreePorts.Next();
        var options = new SiloOptions { SiloPort = siloPort, GatewayPort = gatewayPort, PrimarySiloPort = siloPort, DashboardPort = dashboardPort, Api = false };
        using var host = BlitzSilo.Build(options, new GpuHostOptions { Host = "dash-host", Gpus = 2 });
        await host.StartAsync();
        try
        {
            using var http = new HttpClient();
            foreach (string path in new[] { "/", "/version" })
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{dashboardPort}{path}");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var hosts = await grains.GetGrain<ITopologyGrain>(GrainKeys.Cluster).GetHosts();
            var registered = Assert.Single(hosts);
            Assert.Equal(("dash-host", 2), (registered.Host, registered.Gpus));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task SiloWithoutDashboardListensOnNoHttpPort()
    {
        int siloPort = FreePorts.Next(), gatewayPort = FreePorts.Next(), dashboardPort = FreePorts.Next();
        var options = new SiloOptions { SiloPort = siloPort, GatewayPort = gatewayPort, PrimarySiloPort = siloPort, Dashboard = false, DashboardPort = dashboardPort, Api = false };
        using var host = BlitzSilo.Build(options, new GpuHostOptions { Host = "plain-host" });
        await host.StartAsync();
        try
        {
            using var http = new HttpClient();
            await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"http://127.0.0.1:{dashboardPort}/"));
            var gpu = await host.Services.GetRequiredService<IGrainFactory>().GetGrain<IGpuGrain>("plain-host/gpu0").GetStatus();
            Assert.Equal("plain-host", gpu.Host);
        }
        finally
        {
            await host.StopAsync();
        }
    }

}
