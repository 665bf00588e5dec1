using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Security;
using BlitzScale.Silo.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Orleans.Dashboard;
using OrleansSiloOptions = Orleans.Configuration.SiloOptions;

namespace BlitzScale.Silo;

/// <summary>Assembles the silo's <see cref="WebApplication"/>: configuration, logging, Orleans, dashboard with <c>/metrics</c>, and the HTTP API.</summary>
internal static class SiloApplication
{
    /// <summary>Logging when a configuration does not say otherwise: the silo program's own lines and up.</summary>
    public static IReadOnlyDictionary<string, string?> ProgramLogging { get; } = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Orleans"] = "Warning",
        ["Logging:LogLevel:Microsoft"] = "Warning",
        ["Logging:LogLevel:Polly"] = "Warning",
    };

    /// <summary>Logging of a silo embedded in another program (the CLI): problems only, on stderr.</summary>
    public static IReadOnlyDictionary<string, string?> EmbeddedLogging { get; } = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Orleans"] = "Error",
        // Orleans' resilience pipelines (placement retries while a host's silo is not yet in the topology) log each attempt
        // at Warning and the last at Error with its stack; the program reports a failure itself, in one line.
        ["Logging:LogLevel:Polly"] = "None",
    };

    /// <param name="silo">Valid silo options.</param>
    /// <param name="host">Valid host options.</param>
    /// <param name="tls">The loaded TLS files of <paramref name="silo"/>, null when TLS is off.</param>
    /// <param name="defaults">The lowest configuration layer (logging levels).</param>
    /// <param name="configuration">Layered over <paramref name="defaults"/>, or null.</param>
    /// <param name="configure">Further silo configuration.</param>
    public static WebApplication Create(SiloOptions silo, GpuHostOptions host, TlsCertificates? tls, IReadOnlyDictionary<string, string?> defaults,
        IConfiguration? configuration, Action<ISiloBuilder>? configure)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });

        // Only the configuration given here counts: an appsettings.json or environment that happens to be around
        // (the CLI's output folder has the silo's appsettings.json) must not change an embedded silo.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(defaults);
        if (configuration is not null) builder.Configuration.AddConfiguration(configuration);

        // Logs go to stderr, so a CLI that embeds a silo keeps stdout for its output.
        builder.Logging.ClearProviders();
        // UTC times to the millisecond: a fault's story is read across the silos' logs, line by line.
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.UseUtcTimestamp = true;
        });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

        // After the sources above: UseUrls writes a setting into them, and clearing them would lose it.
        if (silo.Dashboard) builder.WebHost.UseUrls($"http://127.0.0.1:{silo.DashboardPort}");
        else builder.Services.AddSingleton<IServer, NoHttpServer>();
        // /metrics is served beside the dashboard and on the HTTP API's port.
        if (silo.Dashboard || silo.Api) builder.Services.AddBlitzMetricsExporter();

        builder.UseOrleans(s =>
        {
            SiloClustering.Configure(s, silo);
            if (tls is not null) SiloTls.Configure(s, tls);
            s.Configure<OrleansSiloOptions>(o => o.SiloName = host.Host);
            // Peers reach the data plane where they reach the silo, unless told otherwise.
            host.DataAddress ??= silo.AdvertisedAddress;
            s.AddBlitzScale(host);
            if (silo.Dashboard) s.AddDashboard();
            configure?.Invoke(s);
        });

        // After UseOrleans: hosted services start in order, so the API opens once the silo has.
        if (silo.Api) builder.Services.AddHostedService(sp => HttpApiServer.ForSilo(silo, host.Host, tls, sp));

        var app = builder.Build();
        if (silo.Dashboard)
        {
            app.MapOrleansDashboard();
            app.MapBlitzMetrics();
        }
        return app;
    }
}
