using BlitzScale.Cli.Benchmarks;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>The GPUs bench live scales onto: the next ones by default; off the busy instance's host and the copy's with --new-over-network.</summary>
public sealed class LiveTargetsTests
{
    private static readonly IReadOnlyList<string> FourHosts = LiveBenchmark.Gpus(4, 1);
    private static readonly IReadOnlyList<string> TwoByTwo = LiveBenchmark.Gpus(2, 2);

    private static Dictionary<string, long> Copies(params string[] hosts) =>
        new[] { "h1", "h2", "h3", "h4" }.ToDictionary(h => h, h => hosts.Contains(h) ? 502_009_856L : 0L);

    [Fact]
    public void By_default_the_gpus_after_the_busy_instances_are_taken_in_order_wherever_the_copy_is()
    {
        Assert.Equal(["h2/gpu0", "h3/gpu0"], LiveTargets.Choose(FourHosts, 2, Copies("h2"), overNetwork: false));
        Assert.Equal(["h2/gpu0", "h1/gpu1"], LiveTargets.Choose(TwoByTwo, 2, null, overNetwork: false));
    }

    [Fact]
    public void Over_the_network_the_busy_instances_host_and_the_copys_are_left_out()
    {
        Assert.Equal(["h3/gpu0", "h4/gpu0"], LiveTargets.Choose(FourHosts, 2, Copies("h2"), overNetwork: true));
        Assert.Equal(["h2/gpu0", "h3/gpu0"], LiveTargets.Choose(FourHosts, 2, Copies("h4"), overNetwork: true));
        // No copy (storage loads): only the busy instance's host is left out, its NVLink neighbour included.
        Assert.Equal(["h2/gpu0", "h3/gpu0"], LiveTargets.Choose(FourHosts, 2, Copies(), overNetwork: true));
        Assert.Equal(["h2/gpu0", "h2/gpu1"], LiveTargets.Choose(TwoByTwo, 2, null, overNetwork: true));
    }

    [Fact]
    public void A_copy_on_every_other_host_leaves_none_of_them_out()
    {
        // allcache: every host loads from its own memory, so the usual next GPUs off the busy instance's host are taken.
        Assert.Equal(["h2/gpu0", "h3/gpu0"], LiveTargets.Choose(FourHosts, 2, Copies("h1", "h2", "h3", "h4"), overNetwork: true));
    }

    [Fact]
    public void Too_few_gpus_left_is_an_error_naming_the_hosts_left_out()
    {
        var error = Assert.Throws<InvalidOperationException>(() => LiveTargets.Choose(LiveBenchmark.Gpus(3, 1), 2, Copies("h2"), overNetwork: true));
        Assert.Equal("--new-over-network: 2 new instance(s) need GPUs off the busy instance's host (h1) and the host copy's (h2); only 1 are left", error.Message);
    }
}
