using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Grains.Serving;
using BlitzScale.Scaling.Instances;

namespace BlitzScale.Grains.Tests;

/// <summary>Where a multicast load turns when its source is lost and nobody plans it again: the fallbacks, in order.</summary>
public sealed class FeedFallbackTests
{
    private static readonly HostInfo[] Hosts =
    [
        new("h1", 1, "cpu", 1L << 33, "h1", 100, "leaf0", "silo-1", null, "10.0.0.1:7100"),
        new("h2", 1, "cpu", 1L << 33, "h2", 100, "leaf0", "silo-2", null, "10.0.0.2:7100"),
        new("h3", 1, "cpu", 1L << 33, "h3", 100, "leaf0", "silo-3", null, "10.0.0.3:7100"),
    ];

    private static readonly ModelDeployment Blitz = new("/models/m", LoadPolicy.Blitz, null, null, null,
        new ImageDescription([4096, 8192, 8192, 4096], 2, 24576));

    // Planning a multicast load asks no grain: only the baselines' host copies do.
    private static readonly FeedPlanning Planning = new(null!, "m");

    private static (InstanceLifecycle H1, InstanceLifecycle H2, InstanceLifecycle Target) Instances()
    {
        var instances = new ModelInstances(TimeProvider.System);
        return (instances.Add(0, "m/0/0", "h1/gpu0", "h1", 2), instances.Add(1, "m/1/0", "h2/gpu0", "h2", 2), instances.Add(2, "m/2/0", "h3/gpu0", "h3", 2));
    }

    private static string? From(IReadOnlyList<LoadFeed> feeds) => feeds.Select(f => FeedPlanning.SourceHost(f.From)).Distinct().Single();

    [Fact]
    public async Task A_gpu_on_a_host_the_plan_does_not_use_comes_first_then_storage()
    {
        var (h1, h2, target) = Instances();
        var plan = await Planning.Plan(Hosts, Blitz, [target], [h1], null);
        Assert.Equal("h1", From(plan.Feeds[target.Gpu]));

        var fallbacks = (await Planning.Fallbacks(Hosts, Blitz, [target], plan, [h1, h2], null))[target.Gpu];
        Assert.Equal(2, fallbacks.Count);
        Assert.Equal("h2", From(fallbacks[0]));
        Assert.Equal("h2/gpu0", fallbacks[0].Single().From);
        Assert.Null(From(fallbacks[1]));
        Assert.All(fallbacks[1], f => Assert.Equal(FeedKind.Storage, f.Kind));
    }

    [Fact]
    public async Task Without_another_gpu_the_host_copy_off_the_plan_comes_first()
    {
        var (h1, _, target) = Instances();
        var plan = await Planning.Plan(Hosts, Blitz, [target], [h1], null);

        var fallbacks = (await Planning.Fallbacks(Hosts, Blitz, [target], plan, [h1], "h2"))[target.Gpu];
        Assert.Equal(["h2", null], fallbacks.Select(From));
    }

    [Fact]
    public async Task Nothing_off_the_plan_leaves_storage_alone()
    {
        var (h1, _, target) = Instances();
        var plan = await Planning.Plan(Hosts, Blitz, [target], [h1], "h1");

        // The only other GPU and the host copy are on the host the plan feeds from.
        var fallbacks = (await Planning.Fallbacks(Hosts, Blitz, [target], plan, [h1], "h1"))[target.Gpu];
        Assert.Null(From(fallbacks.Single()));
    }

    [Fact]
    public async Task A_target_fed_from_storage_has_no_fallback_and_the_baselines_none()
    {
        var (_, _, target) = Instances();
        var fromStorage = await Planning.Plan(Hosts, Blitz, [target], [], null);
        Assert.Empty(await Planning.Fallbacks(Hosts, Blitz, [target], fromStorage, [], null));

        var allcache = Blitz with { Policy = LoadPolicy.AllCache };
        Assert.Empty(await Planning.Fallbacks(Hosts, allcache, [target], fromStorage, [], "h1"));
    }
}
