using BlitzScale.Grains.Hosting;
using BlitzScale.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using SiloOptions = BlitzScale.Silo.SiloOptions;
using StackExchange.Redis;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// A connection to a grid for one command: an Orleans client of a running cluster, or, without
/// <c>--cluster</c>, an embedded single-host grid (one silo in this process, host "local", one cpu GPU).
/// </summary>
internal sealed class GridSession : IAsyncDisposable
{
    public const string DefaultClusterId = "blitzscale";
    public const string EmbeddedHost = "local";
    private const int DefaultGatewayPort = 30000;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    private readonly IHost _host;

    private GridSession(IHost host, bool embedded)
    {
        _host = host;
        Embedded = embedded;
        Client = new BlitzScaleClient(host.Services.GetRequiredService<IClusterClient>());
    }

    public BlitzScaleClient Client { get; }

    /// <summary>The grid's grains, for what goes through them directly (the HTTP API of <c>blitz serve --cluster</c>).</summary>
    public IGrainFactory Grains => _host.Services.GetRequiredService<IClusterClient>();

    /// <summary>This session's logging.</summary>
    public ILoggerFactory Loggers => _host.Services.GetRequiredService<ILoggerFactory>();
    public bool Embedded { get; }

    public static async Task<GridSession> Open(string? cluster, string clusterId, CancellationToken cancellationToken)
    {
        IHost host = cluster is null ? EmbeddedSilo() : ClusterClient(cluster, clusterId);
        // The Orleans client keeps retrying an unreachable gateway for minutes; a command gives up sooner.
        using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (cluster is not null) connect.CancelAfter(ConnectTimeout);
        try
        {
            await host.StartAsync(connect.Token);
        }
        catch (Exception e) when (cluster is not null && (e is OrleansException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)))
        {
            host.Dispose();
            string why = e is OrleansException ? e.Message : $"no gateway answered within {ConnectTimeout.TotalSeconds:F0} s.";
            throw new InvalidOperationException(
                $"cannot reach the cluster at {cluster} (cluster id \"{clusterId}\"): {why} Is a silo running there, with that cluster id?", e);
        }
        return new GridSession(host, cluster is null);
    }

    private static IHost EmbeddedSilo()
    {
        int siloPort = FreePorts.Next(), gatewayPort = FreePorts.Next();
        var silo = new SiloOptions
        {
            Clustering = SiloOptions.LocalhostClustering,
            SiloPort = siloPort,
            GatewayPort = gatewayPort,
            PrimarySiloPort = siloPort,
            Dashboard = false,
            Api = false,
        };
        // The embedded grid's data plane is on loopback and lives as long as this process: a random secret suits it.
        var secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var app = BlitzSilo.Build(silo, new GpuHostOptions { Host = EmbeddedHost, Gpus = 1, ClusterSecret = secret });
        return app;
    }

    private static IHost ClusterClient(string cluster, string clusterId)
    {
        var builder = Host.CreateApplicationBuilder();
        // Connection trouble is reported once, by the command, not as a stream of Orleans warnings.
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Orleans", LogLevel.Critical).AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        builder.UseOrleansClient(client =>
        {
            if (cluster.StartsWith("redis://", StringComparison.OrdinalIgnoreCase))
            {
                string endpoint = cluster["redis://".Length..];
                if (endpoint.Length == 0) throw new ArgumentException($"--cluster {cluster}: expected redis://host:port");
                client.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(endpoint));
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = clusterId;
                });
            }
            else if (cluster == "localhost" || cluster.StartsWith("localhost:", StringComparison.Ordinal))
            {
                int port = DefaultGatewayPort;
                if (cluster.Length > "localhost".Length && !int.TryParse(cluster["localhost:".Length..], out port))
                    throw new ArgumentException($"--cluster {cluster}: expected localhost or localhost:PORT (the gateway port)");
                client.UseLocalhostClustering(port, serviceId: clusterId, clusterId: clusterId);
            }
            else
            {
                throw new ArgumentException($"--cluster {cluster}: expected localhost[:gatewayPort] or redis://host:port");
            }
            client.AddBlitzScaleClient();
        });
        return builder.Build();
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _host.StopAsync(timeout.Token);
        }
        finally
        {
            _host.Dispose();
        }
    }
}
