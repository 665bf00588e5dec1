using BlitzScale.Grains.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace BlitzScale.Silo;

/// <summary>
/// This silo's metrics in Prometheus' format through OpenTelemetry's Prometheus exporter, at the path a vLLM server
/// uses, with vLLM's <c>vllm:</c> names (<see cref="VllmNames"/>).
/// </summary>
internal static class MetricsEndpoint
{
    /// <summary>Where Prometheus scrapes, as on a vLLM server.</summary>
    public const string Path = "/metrics";

    /// <summary>Exports the meter <see cref="BlitzMetrics.MeterName"/>.</summary>
    public static IServiceCollection AddBlitzMetricsExporter(this IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(BlitzMetrics.MeterName).AddPrometheusExporter(o =>
        {
            // Every scrape reads the grid as it is now (the default serves a copy up to 300 ms old).
            o.ScrapeResponseCacheDurationMilliseconds = 0;
            // A page like a vLLM server's: no otel_scope_name label on every sample, no target_info family.
            o.ScopeInfoEnabled = false;
            o.TargetInfoEnabled = false;
        }));
        return services;
    }

    /// <summary>Maps <c>GET /metrics</c> on <paramref name="endpoints"/> (the silo's web host).</summary>
    public static IEndpointConventionBuilder MapBlitzMetrics(this IEndpointRouteBuilder endpoints, MeterProvider? meterProvider = null) =>
        endpoints.MapPrometheusScrapingEndpoint(Path, meterProvider, branch => branch.Use(VllmNames.Middleware), optionsName: null);
}
