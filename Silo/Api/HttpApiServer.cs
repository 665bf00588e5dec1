using System.Security.Cryptography.X509Certificates;
using BlitzScale.Grains.Interfaces.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace BlitzScale.Silo.Api;

/// <summary>
/// The OpenAI-compatible HTTP API: its own Kestrel web host (apart from the dashboard's) going through the grid like
/// any client. A silo runs one on <see cref="SiloOptions.HttpPort"/> (started after the silo: it registers after
/// Orleans); <c>blitz serve --cluster</c> runs one beside an Orleans client.
/// </summary>
/// <param name="url">Where to listen (<see cref="SiloOptions.ApiListenUrl"/>).</param>
/// <param name="keys">Accepted API keys; none: every request is accepted (the caller listens on loopback then).</param>
/// <param name="grains">The grid.</param>
/// <param name="loggers">The host's logging.</param>
/// <param name="health">Null when the grid can serve through this API, else why not (<c>/health</c>).</param>
/// <param name="certificate">The HTTPS certificate when <paramref name="url"/> is <c>https://</c>, else null.</param>
/// <param name="metrics">The silo's metrics, also served on this port, or null.</param>
internal sealed class HttpApiServer(string url, IReadOnlyList<string> keys, IGrainFactory grains, ILoggerFactory loggers,
    Func<CancellationToken, Task<string?>> health, X509Certificate2? certificate = null, MeterProvider? metrics = null) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    public string Url { get; } = url;

    /// <summary>The API of a silo, answering healthy while the silo is an active member and its host registered.</summary>
    public static HttpApiServer ForSilo(SiloOptions options, string host, TlsCertificates? tls, IServiceProvider silo)
    {
        var grains = silo.GetRequiredService<IGrainFactory>();
        var probe = new SiloHealth(silo.GetRequiredService<Orleans.Runtime.IClusterMembershipService>(), silo.GetRequiredService<Orleans.Runtime.ILocalSiloDetails>(), grains, host);
        return new HttpApiServer(options.ApiListenUrl ?? throw new ArgumentException("the HTTP API is off", nameof(options)),
            options.ApiKeys, grains, silo.GetRequiredService<ILoggerFactory>(), probe.ProblemAsync, tls?.Certificate, silo.GetService<MeterProvider>());
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(ApiLog.Category);
        var endpoints = new ApiEndpoints(grains, health, new ApiKeyCheck(keys), TimeProvider.System, logger);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        // Only what is set here counts; UseUrls needs a source to write its setting into.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.Logging.ClearProviders();
        // The host's logging (levels and console), not a second set.
        builder.Services.AddSingleton(loggers);
        builder.WebHost.UseUrls(Url);
        // The slim builder leaves HTTPS out until asked for.
        if (certificate is not null) builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = ApiJson.MaxBodyBytes;
            // HTTPS with the silo's certificate; callers authenticate with API keys, not client certificates.
            if (certificate is not null) k.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
        });
        _app = builder.Build();
        endpoints.Map(_app);
        // The silo's metrics on the API's port too, where vLLM serves them (scrapers and autoscalers look there).
        if (metrics is not null) _app.MapBlitzMetrics(metrics);
        await _app.StartAsync(cancellationToken);
        if (keys.Count == 0) ApiLog.LoopbackOnly(logger, Url);
        else ApiLog.Listening(logger, Url, $"{keys.Count} API key(s)");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
