using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Grains.Serving;
using BlitzScale.Scaling.Instances;
using Microsoft.Extensions.Time.Testing;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>A host whose silo died is gone even where the topology still lists it; a source on a host it does not list sends nothing.</summary>
public sealed class HostsAliveTests
{
    private static HostInfo Host(string name, string silo) => new(name, 1, "timed", 1L << 30, name, 1, "leaf0", silo, null);

    [Fact]
    public void A_host_listed_with_a_dead_silo_is_not_alive_and_one_restarted_under_a_new_silo_is()
    {
        // The topology grain, on another silo, has not yet heard of h2's death: it still lists h2 under the dead silo.
        IReadOnlyList<HostInfo> hosts = [Host("h1", "S10.0.0.1:11111:1"), Host("h2", "S10.0.0.2:11111:1"), Host("h3", "S10.0.0.3:11111:2")];

        Assert.Equal(["h1", "h3"], HostsAlive.Names(hosts, ["S10.0.0.2:11111:1", "S10.0.0.3:11111:1"]).Order());
        Assert.Equal(["h1", "h2", "h3"], HostsAlive.Names(hosts, []).Order());
    }

    [Fact]
    public void Only_sources_on_listed_hosts_send()
    {
        var model = new ModelInstances(new FakeTimeProvider());
        var on1 = model.Add(0, "m/0/0", "h1/gpu0", "h1", 4);
        var on2 = model.Add(1, "m/1/0", "h2/gpu0", "h2", 4);
        var on3 = model.Add(2, "m/2/0", "h3/gpu1", "h3", 4);

        var sending = HostsAlive.Sending([on1, on2, on3], [Host("h1", "a"), Host("h3", "c")]);

        Assert.Equal([on1, on3], sending);
        Assert.Empty(HostsAlive.Sending([on2], [Host("h1", "a")]));
    }
}
