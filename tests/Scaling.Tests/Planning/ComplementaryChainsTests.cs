using BlitzScale.Scaling.Planning;

namespace BlitzScale.Scaling.Tests.Planning;

/// <summary>
/// Loads in complementary orders, planned: a network chain's last target goes to the whole host copy over its idle link,
/// last layers first, and the chain's new last target is its head; anything that would cost a load is left as planned.
/// </summary>
public sealed class ComplementaryChainsTests
{
    private static readonly BlobRange All = BlobRange.All(10);

    private static string HostOf(string gpu) => gpu[..gpu.IndexOf('/', StringComparison.Ordinal)];

    private static TransferChain Chain(SourceKind source, params (string From, string To, LinkType Link)[] hops) =>
        new("leaf0", source, [new TransferHop(hops[0].From, hops[0].To, hops[0].Link, All)], [],
            [.. hops.Skip(1).Select(h => new TransferHop(h.From, h.To, h.Link, All))]);

    private static TransferChain Network(params string[] nodes) =>
        Chain(SourceKind.Gpu, [.. nodes.Zip(nodes.Skip(1), (from, to) => (from, to, LinkType.Network))]);

    [Fact]
    public void The_chains_last_target_loads_last_first_from_the_host_copy_and_the_one_before_it_is_the_head()
    {
        var plan = new TransferPlan([Network("h1/gpu0", "h3/gpu0", "h4/gpu0"), Chain(SourceKind.HostCopy, ("h2/memory", "h2/gpu0", LinkType.HostToDevice))]);

        var (arranged, pair) = ComplementaryChains.Arrange(plan, "h2", HostOf);

        Assert.Equal(("h3/gpu0", "h4/gpu0"), pair);
        Assert.Equal(3, arranged.Chains.Count);
        Assert.Equal(Network("h1/gpu0", "h3/gpu0"), arranged.Chains[0]);
        var cut = arranged.Chains[1];
        Assert.True(cut.Descending);
        Assert.Equal((SourceKind.HostCopy, "h2/memory", "h4/gpu0", LinkType.Network, All), (cut.Source, cut.Feed[0].From, cut.Feed[0].To, cut.Feed[0].Link, cut.Feed[0].Blobs));
        Assert.Empty(cut.Hops);
        Assert.Equal(plan.Chains[1], arranged.Chains[2]);
        Assert.Contains("chain 2 (leaf0, from HostCopy: h2/memory -Network-> h4/gpu0, last layers first)", arranged.Describe(), StringComparison.Ordinal);
        // Every target still takes the whole image once.
        Assert.Equal(plan.Chains.SelectMany(c => c.Targets).Order(), arranged.Chains.SelectMany(c => c.Targets).Order());
        Assert.NotEqual(cut, cut with { Descending = false });
    }

    [Fact]
    public void A_longer_chain_gives_up_only_its_last_target()
    {
        var (arranged, pair) = ComplementaryChains.Arrange(new TransferPlan([Network("h1/gpu0", "h3/gpu0", "h4/gpu0", "h5/gpu0")]), "h2", HostOf);
        Assert.Equal(("h4/gpu0", "h5/gpu0"), pair);
        Assert.Equal(Network("h1/gpu0", "h3/gpu0", "h4/gpu0"), arranged.Chains[0]);
    }

    public static TheoryData<string, TransferPlan, string?> Unchanged() => new()
    {
        { "no host copy", new TransferPlan([Network("h1/gpu0", "h3/gpu0", "h4/gpu0")]), null },
        { "one target", new TransferPlan([Network("h1/gpu0", "h3/gpu0")]), "h2" },
        { "the copy on a target's host", new TransferPlan([Network("h1/gpu0", "h3/gpu0", "h4/gpu0")]), "h4" },
        { "the copy on the sender's host", new TransferPlan([Network("h1/gpu0", "h3/gpu0", "h4/gpu0")]), "h1" },
        { "the copy's link sends already", new TransferPlan([Network("h1/gpu0", "h3/gpu0", "h4/gpu0"), Network("h2/gpu0", "h5/gpu0")]), "h2" },
        { "an NVLink hop", new TransferPlan([Chain(SourceKind.Gpu, ("h1/gpu0", "h3/gpu0", LinkType.Network), ("h3/gpu0", "h3/gpu1", LinkType.NvLink))]), "h2" },
        { "a chain from the host copy", new TransferPlan([Chain(SourceKind.HostCopy, ("h2/memory", "h3/gpu0", LinkType.Network), ("h3/gpu0", "h4/gpu0", LinkType.Network))]), "h2" },
    };

    [Theory]
    [MemberData(nameof(Unchanged))]
    public void A_plan_where_the_cut_would_cost_a_load_or_has_no_pair_is_left_as_it_is(string why, TransferPlan plan, string? copyHost)
    {
        var (arranged, pair) = ComplementaryChains.Arrange(plan, copyHost, HostOf);
        Assert.True(pair is null, why);
        Assert.Same(plan, arranged);
    }
}
