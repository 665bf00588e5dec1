using System.Net;
using BlitzScale.Grains.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Orleans.Configuration;
using Orleans.Dashboard;
using StackExchange.Redis;

namespace BlitzScale.Silo;

/// <summary>
/// Builds and runs a BlitzScale silo: one per GPU host. <c>dotnet run --project Silo -- --host h1 --gpus 2</c>
/// or <c>blitz silo …</c> run one; the CLI also embeds one for its single-host grid.
/// </summary>
public static partial class BlitzSilo
{
    /// <summary>Builds a silo from command-line arguments, appsettings.json and the environment.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public static IHost Build(string[] args)
    {
        var (silo, host, errors) = SiloConfiguration.Load(args);
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors));
        return Build(silo, host, SiloConfiguration.Build(args));
    }

    /// <summary>Builds a silo from options (the CLI's embedded silo).</summary>
    /// <param name="silo">Clustering, ports, dashboard.</param>
    /// <param name="host">This host's GPUs.</param>
    /// <param name="logging">Logging configuration (a <c>Logging</c> section); warnings only when null.</param>
    /// <param name="configure">Further silo configuration (tests).</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public static IHost Build(SiloOptions silo, GpuHostOptions host, IConfiguration? logging = null, Action<ISiloBuilder>? configure = null)
    {
        var errors = SiloOptionsValidator.Validate(silo).Concat(GpuHostOptionsValidator.Validate(host)).ToList();
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors));

        void Orleans(ISiloBuilder s)
        {
            Cluster(s, silo);
            s.Configure<Orleans.Configuration.SiloOptions>(o => o.SiloName = host.Host);
            s.AddBlitzScale(host);
            if (silo.Dashboard) s.AddDashboard();
            configure?.Invoke(s);
        }

        void Logging(IConfigurationManager configuration, ILoggingBuilder l)
        {
            // Only the configuration given here counts: an appsettings.json that happens to sit beside the
            // program (the CLI's output folder has the silo's) must not change an embedded silo's logging.
            configuration.Sources.Clear();
            configuration.AddInMemoryCollection(); // the host writes settings (URLs) into its configuration
            l.ClearProviders();
            // Logs go to stderr, so the CLI's stdout carries only its output.
            l.AddSimpleConsole(o => o.SingleLine = true);
            l.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            if (logging is not null) l.AddConfiguration(logging.GetSection("Logging"));
            else l.SetMinimumLevel(LogLevel.Warning).AddFilter("Orleans", LogLevel.Error);
        }

        if (!silo.Dashboard)
        {
            // No dashboard: a plain host that listens on no HTTP port.
            var plain = Host.CreateApplicationBuilder();
            Logging(plain.Configuration, plain.Logging);
            plain.UseOrleans(Orleans);
            return plain.Build();
        }
        var web = WebApplication.CreateSlimBuilder();
        Logging(web.Configuration, web.Logging);
        web.WebHost.UseUrls($"http://127.0.0.1:{silo.DashboardPort}");
        web.UseOrleans(Orleans);
        var app = web.Build();
        app.MapOrleansDashboard();
        return app;
    }

    /// <summary>Runs a silo until SIGTERM or Ctrl+C; invalid options print every problem and return 2.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var (silo, host, errors) = SiloConfiguration.Load(args);
        if (errors.Count > 0)
        {
            foreach (string error in errors) await Console.Error.WriteLineAsync($"blitz silo: invalid option: {error}");
            return 2;
        }
        using var app = Build(silo, host, SiloConfiguration.Build(args));
        var logger = app.Services.GetService(typeof(ILogger<SiloProgram>)) as ILogger<SiloProgram>;
        await app.StartAsync();
        if (logger is not null)
        {
            LogStarted(logger, host.Host, host.Gpus, host.Backend, silo.Clustering, silo.SiloPort, silo.GatewayPort,
                silo.Dashboard ? $"http://127.0.0.1:{silo.DashboardPort}/" : "off");
        }
        await app.WaitForShutdownAsync();
        return 0;
    }

    private static void Cluster(ISiloBuilder s, SiloOptions silo)
    {
        if (silo.Clustering == SiloOptions.RedisClustering)
        {
            s.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(silo.Redis!));
            s.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = silo.ClusterId;
                o.ServiceId = silo.EffectiveServiceId;
            });
            s.ConfigureEndpoints(IPAddress.Parse(silo.AdvertisedAddress), silo.SiloPort, silo.GatewayPort, listenOnAnyHostAddress: true);
            return;
        }
        s.UseLocalhostClustering(silo.SiloPort, silo.GatewayPort, new IPEndPoint(IPAddress.Loopback, silo.PrimarySiloPort), silo.EffectiveServiceId, silo.ClusterId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "BlitzScale silo for host {Host}: {Gpus} {Backend} GPU(s), {Clustering} clustering, silo port {SiloPort}, gateway {GatewayPort}, dashboard {Dashboard}")]
    private static partial void LogStarted(ILogger logger, string host, int gpus, string backend, string clustering, int siloPort, int gatewayPort, string dashboard);

    /// <summary>The logger category of the silo program.</summary>
    private sealed class SiloProgram;
}
