using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Grains.Serving;
using BlitzScale.Scaling.Planning;

namespace BlitzScale.Grains.Tests;

/// <summary>From the planner's chains to what each shard fetches: transports, peers, source ids and blob ranges.</summary>
public sealed class FeedMapperTests
{
    private static readonly HostInfo[] Hosts =
    [
        new("h1", 2, "cpu", 1L << 33, "h1", 100, "leaf0", "silo-1", null, "10.0.0.1:7100"),
        new("h2", 2, "cpu", 1L << 33, "h2", 100, "leaf0", "silo-2", null, "10.0.0.2:7100"),
    ];

    private static Dictionary<string, HostInfo> ByName(IEnumerable<HostInfo> hosts) => hosts.ToDictionary(h => h.Host);

    private static readonly long[] Blobs = [4096, 8192, 8192, 8192, 4096];

    [Fact]
    public void A_chain_from_a_gpu_feeds_the_remote_group_over_the_network_and_copies_inside_hosts()
    {
        var input = PlanningInputs.Build(Hosts, Blobs, ["h1/gpu0"], "h1", ["h1/gpu1", "h2/gpu0", "h2/gpu1"]);
        var plan = TransferPlanner.Plan(input);
        var shards = new Dictionary<string, string> { ["h1/gpu0"] = "m/0/0", ["h1/gpu1"] = "m/1/0", ["h2/gpu0"] = "m/2/0", ["h2/gpu1"] = "m/3/0" };
        var feeds = FeedMapper.Map(plan, "m", g => GpuKey.Parse(g).Host, g => shards[g], ByName(Hosts));

        Assert.Equal(["h1/gpu1", "h2/gpu0", "h2/gpu1"], feeds.Keys.Order(StringComparer.Ordinal));
        foreach (var (target, list) in feeds)
        {
            // Every target gets every blob exactly once.
            Assert.Equal(Enumerable.Range(0, Blobs.Length), list.SelectMany(f => Enumerable.Range(f.FirstBlob, f.EndBlob - f.FirstBlob)).Order());
            foreach (var feed in list)
            {
                bool sameHost = GpuKey.Parse(feed.From).Host == GpuKey.Parse(target).Host;
                Assert.Equal(sameHost ? FeedKind.SameHost : FeedKind.Network, feed.Kind);
                Assert.Equal(shards[feed.From], feed.SourceId);
                Assert.Equal(sameHost ? shards[feed.From] : "10.0.0.1:7100", feed.Peer);
            }
        }
        // host h2 is fed once over the network.
        Assert.Equal(1, feeds.Where(f => f.Key.StartsWith("h2/", StringComparison.Ordinal)).SelectMany(f => f.Value).Count(f => f.Kind == FeedKind.Network));
    }

    [Fact]
    public void Without_gpu_sources_the_host_copy_feeds_under_its_source_id()
    {
        var plan = TransferPlanner.Plan(PlanningInputs.Build(Hosts, Blobs, [], "h1", ["h2/gpu0"]));
        var feed = FeedMapper.Map(plan, "m", g => GpuKey.Parse(g).Host, g => throw new InvalidOperationException(g), ByName(Hosts))["h2/gpu0"].Single();
        Assert.Equal(FeedKind.Network, feed.Kind);
        Assert.Equal("m@h1/memory", feed.SourceId);
        Assert.Equal("10.0.0.1:7100", feed.Peer);
        Assert.Equal((0, Blobs.Length), (feed.FirstBlob, feed.EndBlob));
    }

    [Fact]
    public void Without_any_copy_each_target_reads_its_own_files()
    {
        var plan = TransferPlanner.Plan(PlanningInputs.Build(Hosts, Blobs, [], null, ["h2/gpu0"]));
        var feed = FeedMapper.Map(plan, "m", g => GpuKey.Parse(g).Host, g => "", ByName(Hosts))["h2/gpu0"].Single();
        Assert.Equal(FeedKind.Storage, feed.Kind);
        Assert.Equal("", feed.Peer);
    }

    [Fact]
    public void Hosts_that_both_have_rdma_fetch_over_it_and_otherwise_tcp_says_why()
    {
        var rdma = Hosts.Select(h => h with { RdmaAddress = h.DataAddress!.Replace(":7100", ":7200", StringComparison.Ordinal) }).ToArray();
        var plan = TransferPlanner.Plan(PlanningInputs.Build(rdma, Blobs, ["h1/gpu0"], null, ["h2/gpu0"]));
        var over = FeedMapper.Map(plan, "m", g => GpuKey.Parse(g).Host, g => "m/0/0", ByName(rdma))["h2/gpu0"].Single();
        Assert.Equal((FeedKind.Rdma, "10.0.0.1:7200"), (over.Kind, over.Peer));
        Assert.Contains("using RDMA", over.Transport);

        var half = new[] { rdma[0], Hosts[1] with { RdmaUnavailable = "libibverbs.so.1 could not be loaded" } };
        var tcp = FeedMapper.Map(plan, "m", g => GpuKey.Parse(g).Host, g => "m/0/0", ByName(half))["h2/gpu0"].Single();
        Assert.Equal((FeedKind.Network, "10.0.0.1:7100"), (tcp.Kind, tcp.Peer));
        Assert.Contains("libibverbs.so.1 could not be loaded; using TCP", tcp.Transport);
    }

    [Fact]
    public void A_baseline_instance_reads_its_own_hosts_copy()
    {
        var feed = FeedMapper.FromOwnHostCopy("m", "h2", Blobs.Length).Single();
        Assert.Equal((FeedKind.SameHost, "m@h2/memory", "m@h2/memory", "h2/memory"), (feed.Kind, feed.Peer, feed.SourceId, feed.From));
    }
}
