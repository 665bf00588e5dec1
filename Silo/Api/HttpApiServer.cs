using BlitzScale.Grains.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace BlitzScale.Silo.Api;

/// <summary>
/// The OpenAI-compatible HTTP API of one silo: its own Kestrel web host on <see cref="SiloOptions.HttpPort"/>, apart from
/// the dashboard's, started after the silo (it registers after Orleans) and going through the grid like any client.
/// </summary>
internal sealed class HttpApiServer(SiloOptions options, GpuHostOptions host, IServiceProvider silo) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>Where it listens (<see cref="SiloOptions.ApiListenUrl"/>).</summary>
    public string Url { get; } = options.ApiListenUrl ?? throw new ArgumentException("the HTTP API is off", nameof(options));

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var loggers = silo.GetRequiredService<ILoggerFactory>();
        var logger = loggers.CreateLogger(ApiLog.Category);
        var grains = silo.GetRequiredService<IGrainFactory>();
        var health = new SiloHealth(silo.GetRequiredService<IClusterMembershipService>(), silo.GetRequiredService<ILocalSiloDetails>(), grains, host.Host);
        var endpoints = new ApiEndpoints(grains, health, new ApiKeyCheck(options.ApiKeys), silo.GetService<TimeProvider>() ?? TimeProvider.System, logger);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        // Only what is set here counts; UseUrls needs a source to write its setting into.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.Logging.ClearProviders();
        // The silo's logging (levels and console), not a second set.
        builder.Services.AddSingleton(loggers);
        builder.WebHost.UseUrls(Url);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = ApiJson.MaxBodyBytes);
        _app = builder.Build();
        endpoints.Map(_app);
        await _app.StartAsync(cancellationToken);
        if (options.ApiKeys.Count == 0) ApiLog.LoopbackOnly(logger, Url);
        else ApiLog.Listening(logger, Url, $"{options.ApiKeys.Count} API key(s)");
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
