using BlitzScale.Scaling.Live;

namespace BlitzScale.Scaling.Tests.Live;

public sealed class LoadHopsTests
{
    [Fact]
    public void A_plans_hops_are_learnt_once_each_and_a_hop_to_itself_is_ignored()
    {
        var hops = new LoadHops();
        hops.Learn(1, 2);
        hops.Learn(1, 2);
        hops.Learn(1, 3);
        hops.Learn(2, 2);

        Assert.Equal([2, 3], hops.From(1));
        Assert.Empty(hops.From(2));
        Assert.Empty(hops.From(9));
    }

    [Fact]
    public void A_refeed_replaces_what_fed_its_target()
    {
        // 1 → 2 → 3; 3's source 2 is lost and 3 is planned again from 0.
        var hops = new LoadHops();
        hops.Learn(1, 2);
        hops.Learn(2, 3);

        hops.Replanned(3);
        hops.Learn(0, 3);

        Assert.Empty(hops.From(2));
        Assert.Equal([2], hops.From(1));
        Assert.Equal([3], hops.From(0));
    }

    [Fact]
    public void A_forgotten_instance_neither_forwards_nor_is_forwarded_to()
    {
        var hops = new LoadHops();
        hops.Learn(1, 2);
        hops.Learn(2, 3);
        hops.Learn(1, 4);

        hops.Forget(2);

        Assert.Equal([4], hops.From(1));
        Assert.Empty(hops.From(2));
    }
}
