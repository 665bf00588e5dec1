using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Serving;

namespace BlitzScale.Grains.Tests.Serving;

public sealed class FeedLocalityTests
{
    private static LoadFeed Feed(FeedKind kind, string from, int first = 0, int end = 14) => new(kind, from, "peer", "id", first, end, kind.ToString());

    private static IReadOnlySet<string> Local(Dictionary<string, IReadOnlyList<LoadFeed>> feeds, params string[] whole) =>
        FeedLocality.WithinHost(feeds, from => whole.Contains(from));

    [Fact]
    public void A_chain_inside_one_host_from_a_whole_copy_is_local_to_its_end()
    {
        // The copy feeds h2/gpu0, which passes the image on over NVLink to h2/gpu1, listed first to need a second pass.
        var feeds = new Dictionary<string, IReadOnlyList<LoadFeed>>
        {
            ["h2/gpu1"] = [Feed(FeedKind.SameHost, "h2/gpu0")],
            ["h2/gpu0"] = [Feed(FeedKind.SameHost, "h2/memory")],
            ["h1/gpu1"] = [Feed(FeedKind.SameHost, "h1/gpu0")],
        };

        Assert.Equal(["h1/gpu1", "h2/gpu0", "h2/gpu1"], Local(feeds, "h2/memory", "h1/gpu0").Order());
    }

    [Fact]
    public void The_network_storage_or_a_source_still_filling_makes_a_target_and_those_behind_it_not_local()
    {
        var feeds = new Dictionary<string, IReadOnlyList<LoadFeed>>
        {
            // Over the network, and an NVLink neighbour fed by it.
            ["h3/gpu0"] = [Feed(FeedKind.Network, "h1/gpu0")],
            ["h3/gpu1"] = [Feed(FeedKind.SameHost, "h3/gpu0")],
            // Half from the copy, half over the network.
            ["h2/gpu0"] = [Feed(FeedKind.SameHost, "h2/memory", 0, 7), Feed(FeedKind.Network, "h1/gpu0", 7, 14)],
            // A copy not known whole (made for this load, filling from storage).
            ["h4/gpu0"] = [Feed(FeedKind.SameHost, "h4/memory")],
            ["h5/gpu0"] = [Feed(FeedKind.Storage, "storage")],
            ["h6/gpu0"] = [],
        };

        Assert.Empty(Local(feeds, "h1/gpu0", "h2/memory"));
    }
}
