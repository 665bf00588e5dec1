using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using StackExchange.Redis;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// The multicast benchmark's Orleans client of the testbed cluster, and the waits it measures with: deploy and scale,
/// then poll the model's status until the new instances serve (a poll every <see cref="PollInterval"/> is far finer
/// than the seconds a load takes, and <see cref="InstanceStatus.LoadSeconds"/> is timed by the shard itself).
/// </summary>
internal sealed class MulticastCluster : IAsyncDisposable
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(150);
    public static readonly TimeSpan LoadTimeout = TimeSpan.FromMinutes(3);

    private readonly IHost _host;

    private MulticastCluster(IHost host)
    {
        _host = host;
        var client = host.Services.GetRequiredService<IClusterClient>();
        Grains = client;
        Client = new BlitzScaleClient(client);
    }

    public IGrainFactory Grains { get; }

    /// <summary>The client library over the same connection.</summary>
    public BlitzScaleClient Client { get; }

    /// <summary>Connects through Redis membership, as <c>blitz --cluster redis://…</c> does.</summary>
    public static async Task<MulticastCluster> Connect(string redis, string clusterId, CancellationToken cancellation)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Orleans", LogLevel.Error).AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        builder.UseOrleansClient(client =>
        {
            client.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = clusterId;
            });
        });
        var host = builder.Build();
        using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        connect.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await host.StartAsync(connect.Token);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return new MulticastCluster(host);
    }

    public IModelGrain Model(string name) => Grains.GetGrain<IModelGrain>(name);

    /// <summary>An instance's shard, placed on <paramref name="gpu"/>'s host should it have to activate again.</summary>
    public ILayerShardGrain Shard(string shard, string gpu)
    {
        RequestContext.Set(GridGeneration.HostContextKey, GpuKey.Parse(gpu).Host);
        return Grains.GetGrain<ILayerShardGrain>(shard);
    }

    /// <summary>Waits until the topology lists every host (silos register right after they start).</summary>
    public async Task WaitForHosts(int hosts, CancellationToken cancellation)
    {
        var topology = Grains.GetGrain<ITopologyGrain>(GrainKeys.Cluster);
        await Until(async () => (await topology.GetHosts()).Count >= hosts ? true : (bool?)null,
            $"{hosts} hosts to register with the topology", TimeSpan.FromSeconds(60), cancellation);
    }

    /// <summary>Deploys and waits until every instance serves.</summary>
    public async Task<ModelStatus> Deploy(string name, DeployRequest request, CancellationToken cancellation, TimeSpan? poll = null)
    {
        await Model(name).Deploy(request);
        return await Until(async () =>
        {
            var status = await Model(name).GetStatus();
            ThrowIfFailed(status, status.Instances);
            return status.Instances.Count(i => i.State == InstanceState.Serving) >= request.Instances ? status : null;
        }, $"{name}: {request.Instances} instance(s) to serve after deploy", LoadTimeout, cancellation, poll);
    }

    /// <summary>Scales up and returns the new instances once all of them serve.</summary>
    public async Task<IReadOnlyList<InstanceStatus>> ScaleUp(string name, ScaleRequest request, CancellationToken cancellation, TimeSpan? poll = null)
    {
        var before = await Model(name).GetStatus();
        var known = before.Instances.Select(i => i.Instance).ToHashSet();
        int wanted = request.Gpus?.Count ?? request.Instances - before.Instances.Count(i => i.State == InstanceState.Serving);
        await Model(name).Scale(request);
        return await Until(async () =>
        {
            var status = await Model(name).GetStatus();
            var fresh = status.Instances.Where(i => !known.Contains(i.Instance)).ToList();
            ThrowIfFailed(status, fresh);
            return fresh.Count >= wanted && fresh.All(i => i.State == InstanceState.Serving) ? fresh : null;
        }, $"{name}: {wanted} new instance(s) on {string.Join(", ", request.Gpus ?? ["any GPU"])} to serve", LoadTimeout, cancellation, poll);
    }

    /// <summary>Scales down to <paramref name="instances"/>, unloading the stopped ones, and waits until their GPU memory is free.</summary>
    public async Task ScaleDown(string name, int instances, IReadOnlyList<string> gpus, CancellationToken cancellation)
    {
        await Model(name).Scale(new ScaleRequest { Instances = instances, KeepWarm = false });
        await Until(async () =>
        {
            var status = await Model(name).GetStatus();
            return status.Instances.Count(i => i.State is not (InstanceState.Inactive or InstanceState.Failed)) == instances ? true : (bool?)null;
        }, $"{name}: down to {instances} instance(s)", TimeSpan.FromSeconds(60), cancellation);
        await WaitForResidents(name, gpus, instances, cancellation);
    }

    /// <summary>Undeploys and waits until no GPU holds the model.</summary>
    public async Task Undeploy(string name, IReadOnlyList<string> gpus, CancellationToken cancellation)
    {
        await Model(name).Undeploy();
        await WaitForResidents(name, gpus, 0, cancellation);
    }

    /// <summary>Bytes of <paramref name="model"/>'s host-memory copies on each host, once every copy is complete.</summary>
    public async Task<IReadOnlyDictionary<string, long>> HostCopies(string model, IReadOnlyList<string> hosts, CancellationToken cancellation)
    {
        IReadOnlyDictionary<string, long>? last = null;
        try
        {
            await Until(async () =>
            {
                var statuses = await Task.WhenAll(hosts.Select(h => Grains.GetGrain<IHostMemoryGrain>(new HostMemoryKey(h).ToString()).GetStatus()));
                var copies = statuses.SelectMany(s => s.Copies.Where(c => c.Model == model)).ToList();
                last = statuses.ToDictionary(s => s.Host, s => s.Copies.Where(c => c.Model == model).Sum(c => c.Bytes));
                return copies.All(c => c.Complete) ? true : (bool?)null;
            }, $"{model}: host copies to complete", TimeSpan.FromSeconds(30), cancellation);
        }
        catch (TimeoutException) when (last is not null)
        {
            // Report what is there; an incomplete copy still occupies its memory.
        }
        return last!;
    }

    private async Task WaitForResidents(string model, IReadOnlyList<string> gpus, int expected, CancellationToken cancellation) =>
        await Until(async () =>
        {
            var statuses = await Task.WhenAll(gpus.Select(g => Grains.GetGrain<IGpuGrain>(g).GetStatus()));
            return statuses.Sum(s => s.Residents.Count(r => r.Model == model)) == expected ? true : (bool?)null;
        }, $"{model}: {expected} resident(s) left on {string.Join(", ", gpus)}", TimeSpan.FromSeconds(60), cancellation);

    private static void ThrowIfFailed(ModelStatus status, IEnumerable<InstanceStatus> instances)
    {
        if (instances.FirstOrDefault(i => i.State == InstanceState.Failed) is { } failed)
            throw new InvalidOperationException($"{status.Model}: instance {failed.Instance} on {failed.Gpu} failed: {failed.Error}");
    }

    private static async Task<T> Until<T>(Func<Task<T?>> probe, string what, TimeSpan timeout, CancellationToken cancellation, TimeSpan? poll = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe() is { } done) return done;
            if (DateTime.UtcNow >= deadline) throw new TimeoutException($"waited {timeout.TotalSeconds:F0} s for {what}");
            await Task.Delay(poll ?? PollInterval, cancellation);
        }
    }

    private static async Task Until(Func<Task<bool?>> probe, string what, TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe() == true) return;
            if (DateTime.UtcNow >= deadline) throw new TimeoutException($"waited {timeout.TotalSeconds:F0} s for {what}");
            await Task.Delay(PollInterval, cancellation);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _host.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // the cluster may already be gone
        }
        finally
        {
            _host.Dispose();
        }
    }
}
