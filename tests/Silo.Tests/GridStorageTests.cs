using BlitzScale.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace BlitzScale.Silo.Tests;

/// <summary>Where the grid's control state is kept: Redis when the silo clusters through Redis, memory otherwise.</summary>
public sealed class GridStorageTests
{
    [Fact]
    public void A_silo_clustering_through_Redis_keeps_the_grid_state_in_Redis()
    {
        var options = new SiloOptions { Clustering = SiloOptions.RedisClustering, Redis = "127.0.0.1:1", AdvertisedAddress = "127.0.0.1" };
        using var host = BlitzSilo.Build(options, new GpuHostOptions { Host = "redis-host", Gpus = 1 });

        Assert.Equal("RedisGrainStorage", StorageTypeName(host.Services));
    }

    [Fact]
    public void A_localhost_silo_keeps_the_grid_state_in_memory()
    {
        using var host = BlitzSilo.Build(new SiloOptions(), new GpuHostOptions { Host = "local-host", Gpus = 1 });

        Assert.Equal("MemoryGrainStorage", StorageTypeName(host.Services));
    }

    // Resolving a provider does not connect it: that happens when the silo starts.
    private static string StorageTypeName(IServiceProvider services)
    {
        var storage = services.GetRequiredKeyedService<IGrainStorage>(GridStorage.Name);
        return storage.GetType().Name;
    }
}
