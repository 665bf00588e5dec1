using System.Net;
using BlitzScale.Grains.Hosting;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using StackExchange.Redis;

namespace BlitzScale.Silo;

/// <summary>
/// Membership and endpoints: localhost clustering through the primary silo's port, or Redis — then the grid's grain storage
/// is Redis too (else <see cref="SiloBuilderExtensions.AddBlitzScale"/> adds memory storage).
/// </summary>
internal static class SiloClustering
{
    public static void Configure(ISiloBuilder builder, SiloOptions silo)
    {
        if (silo.Clustering == SiloOptions.RedisClustering)
        {
            builder.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(silo.Redis!));
            // The grid's control state (deployments, the model registry) outlives any silo in the same Redis.
            builder.AddRedisGrainStorage(GridStorage.Name, o => o.ConfigurationOptions = ConfigurationOptions.Parse(silo.Redis!));
            builder.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = silo.ClusterId;
                o.ServiceId = silo.EffectiveServiceId;
            });
            builder.ConfigureEndpoints(IPAddress.Parse(silo.AdvertisedAddress), silo.SiloPort, silo.GatewayPort, listenOnAnyHostAddress: true);
            return;
        }
        builder.UseLocalhostClustering(silo.SiloPort, silo.GatewayPort, new IPEndPoint(IPAddress.Loopback, silo.PrimarySiloPort),
            serviceId: silo.EffectiveServiceId, clusterId: silo.ClusterId);
    }
}
