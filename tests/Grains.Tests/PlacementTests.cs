using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using Xunit.Abstractions;

namespace BlitzScale.Grains.Tests;

/// <summary>GPU grains and the shards on them live on the silo of their host; the topology lists every host.</summary>
public sealed class PlacementTests(GridFixture grid, ITestOutputHelper output) : IClassFixture<GridFixture>
{
    [Theory]
    [InlineData("host-a/gpu0", GridFixture.HostA)]
    [InlineData("host-a/gpu1", GridFixture.HostA)]
    [InlineData("host-b/gpu0", GridFixture.HostB)]
    [InlineData("host-b/gpu1", GridFixture.HostB)]
    public async Task A_gpu_grain_runs_on_the_silo_of_its_host(string key, string host)
    {
        var status = await grid.Gpu(key).GetStatus();

        Assert.Equal(key, status.Key);
        Assert.Equal(host, status.Host);
        Assert.Equal(grid.SiloOf(host), status.SiloAddress);
        Assert.Equal((long)(GridFixture.GpuMemoryGiB * (1L << 30)), status.MemoryTotalBytes);
    }

    [Fact]
    public async Task A_gpu_of_a_host_without_a_silo_fails_naming_the_host()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => grid.Gpu("host-z/gpu0").GetStatus());
        output.WriteLine(error.ToString());

        Assert.Contains("host-z", error.ToString());
        Assert.Contains("host-z", error.Message);
    }

    [Fact]
    public async Task A_gpu_index_the_host_lacks_fails_naming_the_count()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => grid.Gpu(new GpuKey(GridFixture.HostA, GridFixture.GpusPerHost).ToString()).GetStatus());
        output.WriteLine(error.ToString());

        Assert.Contains($"has {GridFixture.GpusPerHost} GPU(s)", error.Message);
    }

    [Fact]
    public async Task A_deployed_shard_runs_on_the_silo_of_its_gpu()
    {
        const string model = "placed";
        var deployed = await grid.Model(model).Deploy(new DeployRequest { ModelDirectory = grid.SyntheticModel, Gpus = ["host-b/gpu0"] });
        try
        {
            var instance = Assert.Single(deployed.Instances);
            Assert.Equal("host-b/gpu0", instance.Gpu);
            Assert.Equal(new ShardKey(model, 0, 0).ToString(), instance.Shard);

            Assert.Equal(grid.SiloOf(GridFixture.HostB), await grid.Shard(instance.Shard).GetSiloAddress());
            var gpu = await grid.Gpu("host-b/gpu0").GetStatus();
            Assert.Contains(gpu.Residents, r => r.Shard == instance.Shard && r.Model == model);
        }
        finally
        {
            await grid.Model(model).Undeploy();
        }
    }

    [Fact]
    public async Task The_topology_lists_both_hosts_with_their_gpus_once_the_cluster_has_started()
    {
        var hosts = await grid.Client.GetGrain<ITopologyGrain>(GrainKeys.Cluster).GetHosts();

        Assert.Equal([GridFixture.HostA, GridFixture.HostB], hosts.Select(h => h.Host));
        Assert.All(hosts, h =>
        {
            Assert.Equal(GridFixture.GpusPerHost, h.Gpus);
            Assert.Equal("cpu", h.Backend);
            Assert.Equal((long)(GridFixture.GpuMemoryGiB * (1L << 30)), h.GpuMemoryBytes);
            Assert.Equal(grid.SiloOf(h.Host), h.SiloAddress);
        });
    }

    [Fact]
    public async Task A_topology_activation_nobody_registered_with_asks_each_silo_for_its_host()
    {
        // As after the cluster's directory lost track of the topology grain while a silo joined: a fresh activation.
        var fresh = await grid.Client.GetGrain<ITopologyGrain>("fresh-" + Guid.NewGuid().ToString("N")).GetHosts();
        var registered = await grid.Client.GetGrain<ITopologyGrain>(GrainKeys.Cluster).GetHosts();

        Assert.Equal([GridFixture.HostA, GridFixture.HostB], fresh.Select(h => h.Host));
        Assert.Equal(registered, fresh);
        Assert.All(fresh, h => Assert.False(string.IsNullOrEmpty(h.DataAddress)));
    }
}
