using System.Net;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Security;
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
    // Between failed attempts to reach a gateway: doubling from half a second, at most a few seconds.
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(0.5);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(4);
    // How long a local gateway port may refuse connections before "no silo" is reported: a silo started at the same
    // moment opens its gateway within a few seconds.
    private static readonly TimeSpan RefusedPatience = TimeSpan.FromSeconds(10);

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

    public static Task<GridSession> Open(string? cluster, string clusterId, CancellationToken cancellationToken) =>
        Open(new GridConnection(cluster, clusterId, GridConnection.DefaultConnectTimeout), cancellationToken);

    public static async Task<GridSession> Open(GridConnection connection, CancellationToken cancellationToken)
    {
        if (connection.Cluster is not { } cluster)
        {
            if (connection.Tls is not null)
                throw new ArgumentException("--tls-cert: expected it only with --cluster (the embedded grid runs in this process and has no connection to secure)");
            var embedded = await EmbeddedStart.StartAsync(EmbeddedSilo, cancellationToken);
            return new GridSession(embedded, embedded: true);
        }
        int? localPort = LocalGatewayPort(cluster);
        var redis = RedisEndpoint(cluster);
        var tls = connection.Tls is { } files ? TlsArguments.Load(files, server: false) : null;
        Func<CancellationToken, Task<bool?>>? probe = localPort is { } p ? token => Listening("127.0.0.1", p, token)
            : redis is { } r ? token => Listening(r.Host, r.Port, token)
            : null;
        var attempts = new ConnectAttempts(probe, tls);
        IHost host = ClusterClient(cluster, connection.ClusterId, attempts, tls);
        // Attempts are retried with back-off until the timeout: a busy silo lets a client in late, not never.
        using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connect.CancelAfter(connection.ConnectTimeout);
        try
        {
            await host.StartAsync(connect.Token);
        }
        catch (Exception e) when (attempts.Failed > 0 || e is OrleansException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            host.Dispose();
            if (attempts.TlsMismatch is { } mismatch)
                throw new ClusterUnreachableException($"cannot reach the cluster at {cluster} (cluster id \"{connection.ClusterId}\"): {mismatch}", e);
            bool? listening = attempts.Listening ?? (probe is not null ? await probe(cancellationToken) : null);
            throw new ClusterUnreachableException(ConnectFailure.Describe(connection, attempts.Last ?? (e as OrleansException), attempts.Failed, listening,
                redis is { } at ? $"{at.Host}:{at.Port}" : null), e);
        }
        return new GridSession(host, embedded: false);
    }

    /// <summary>
    /// The failed attempts to reach a gateway so far, for the message if none succeeds. Where the gateway can be probed
    /// (localhost), or the Redis server that lists the gateways (redis://), a port that still refuses connections after
    /// <see cref="RefusedPatience"/> ends the retries early: no silo or no Redis is there, and waiting the whole timeout would
    /// only hide it. A gateway that accepts the connection and then
    /// closes it is probed once for a TLS mismatch (<see cref="GatewayTlsProbe"/>), which ends the retries too.
    /// </summary>
    private sealed class ConnectAttempts(Func<CancellationToken, Task<bool?>>? probe, TlsCertificates? tls)
    {
        private readonly long _started = TimeProvider.System.GetTimestamp();
        private bool _tlsProbed;

        public Exception? Last { get; private set; }
        public int Failed { get; private set; }
        public bool? Listening { get; private set; }
        public string? TlsMismatch { get; private set; }

        /// <summary>The gateway last dialled (set by a connection middleware), for the TLS probe.</summary>
        public IPEndPoint? Gateway { get; set; }

        public async Task<bool> Retry(Exception error, CancellationToken cancellationToken)
        {
            Last = error;
            Failed++;
            if (!_tlsProbed && Gateway is { } gateway && !ConnectFailure.Refused(error))
            {
                var finding = await GatewayTlsProbe.ProbeAsync(gateway, tls, cancellationToken);
                _tlsProbed = finding.Reached;
                TlsMismatch = finding.Mismatch;
                if (TlsMismatch is not null) return false;
            }
            if (probe is not null)
            {
                Listening = await probe(cancellationToken);
                if (Listening == false && TimeProvider.System.GetElapsedTime(_started) >= RefusedPatience) return false;
            }
            var delay = TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, FirstRetryDelay.Ticks << Math.Min(Failed - 1, 8)));
            await Task.Delay(delay, cancellationToken);
            return true;
        }
    }

    /// <summary>The gateway port of a <c>localhost[:port]</c> cluster; null for a Redis one.</summary>
    /// <exception cref="ArgumentException">A localhost cluster with a port that is not a number.</exception>
    private static int? LocalGatewayPort(string cluster)
    {
        if (cluster != "localhost" && !cluster.StartsWith("localhost:", StringComparison.Ordinal)) return null;
        if (cluster.Length == "localhost".Length) return DefaultGatewayPort;
        return int.TryParse(cluster["localhost:".Length..], out int port)
            ? port
            : throw new ArgumentException($"--cluster {cluster}: expected localhost or localhost:PORT (the gateway port)");
    }

    /// <summary>The Redis server of a <c>redis://host[:port]</c> cluster (port 6379 when not given); null for any other.</summary>
    internal static (string Host, int Port)? RedisEndpoint(string cluster)
    {
        // An empty one is refused in words where the client is configured.
        if (RedisConfiguration(cluster) is not { Length: > 0 } endpoint) return null;
        var first = ConfigurationOptions.Parse(endpoint).EndPoints.FirstOrDefault();
        return first switch
        {
            DnsEndPoint dns => (dns.Host, dns.Port == 0 ? 6379 : dns.Port),
            IPEndPoint ip => (ip.Address.ToString(), ip.Port == 0 ? 6379 : ip.Port),
            _ => null,
        };
    }

    // What follows redis:// in a Redis cluster's address (StackExchange.Redis configuration: host[:port][,options]); null for any other.
    private static string? RedisConfiguration(string cluster) =>
        cluster.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) ? cluster["redis://".Length..] : null;

    // Whether anything accepts TCP connections at host:port: refused means nothing is there (no silo at a local gateway
    // port, no Redis); a connection that neither succeeds nor is refused in time means a listener too busy to accept, or a
    // host that drops packets, so it counts as listening and the attempts go on.
    private static async Task<bool?> Listening(string host, int port, CancellationToken cancellationToken)
    {
        using var probe = new System.Net.Sockets.TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await probe.ConnectAsync(host, port, timeout.Token);
            return true;
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return null;
        }
    }

    private static IHost EmbeddedSilo(int siloPort, int gatewayPort)
    {
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

    private static IHost ClusterClient(string cluster, string clusterId, ConnectAttempts attempts, TlsCertificates? tls)
    {
        var builder = Host.CreateApplicationBuilder();
        // Connection trouble is reported once, by the command, not as a stream of Orleans warnings.
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Orleans", LogLevel.Critical).AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        builder.UseOrleansClient(client =>
        {
            if (RedisConfiguration(cluster) is { } endpoint)
            {
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
                client.UseLocalhostClustering(LocalGatewayPort(cluster)!.Value, serviceId: clusterId, clusterId: clusterId);
            }
            else
            {
                throw new ArgumentException($"--cluster {cluster}: expected localhost[:gatewayPort] or redis://host:port");
            }
            client.UseConnectionRetryFilter(attempts.Retry);
            // Which gateway each connection goes to, so a failed one can be probed for a TLS mismatch.
            client.Configure<ClientConnectionOptions>(o => o.ConfigureConnection(b => b.Use(next => context =>
            {
                if (context.RemoteEndPoint is IPEndPoint gateway) attempts.Gateway = gateway;
                return next(context);
            })));
            if (tls is not null) client.UseBlitzScaleTls(tls);
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
