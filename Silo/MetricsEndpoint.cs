using BlitzScale.Grains.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace BlitzScale.Silo;

/// <summary>Serves this silo's metrics registry in Prometheus' text format, through prometheus-net's exporter.</summary>
internal static class MetricsEndpoint
{
    /// <summary>Where Prometheus scrapes, as on a vLLM server.</summary>
    public const string Path = "/metrics";

    /// <summary>Maps <c>GET /metrics</c> on <paramref name="endpoints"/> (the silo's web host).</summary>
    public static IEndpointConventionBuilder MapBlitzMetrics(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapMetrics(Path, endpoints.ServiceProvider.GetRequiredService<BlitzMetrics>().Registry);
}
