using BlitzScale.Grains.Hosting;
using BlitzScale.Silo;
using Microsoft.Extensions.Hosting;
using SiloOptions = BlitzScale.Silo.SiloOptions;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>
/// One silo in the test process, on free ports, with no dashboard and no HTTP API: the CLI, run as a process, reaches it as
/// <c>--cluster <see cref="Cluster"/></c>.
/// </summary>
internal sealed class LocalSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private LocalSilo(IHost host, string cluster)
    {
        _host = host;
        Cluster = cluster;
    }

    /// <summary><c>localhost:{gateway port}</c>.</summary>
    public string Cluster { get; }

    /// <summary>The silo's services (its grain factory, say).</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>Builds and starts a silo hosting <paramref name="gpus"/>.</summary>
    public static async Task<LocalSilo> StartAsync(GpuHostOptions gpus)
    {
        int siloPort = FreePorts.Next(), gatewayPort = FreePorts.Next();
        var host = BlitzSilo.Build(new SiloOptions { SiloPort = siloPort, PrimarySiloPort = siloPort, GatewayPort = gatewayPort, Dashboard = false, Api = false }, gpus);
        await host.StartAsync();
        return new LocalSilo(host, $"localhost:{gatewayPort}");
    }

    /// <summary>Stops the silo.</summary>
    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
