using BlitzScale.Scaling.Caching;

namespace BlitzScale.Scaling.Tests.Caching;

/// <summary>A one-copy model's copy squared with what the hosts hold: strays dropped, a lost or failed copy replaced by a whole one.</summary>
public sealed class CopySweepTests
{
    private static HeldCopy Whole(string host) => new(host, Complete: true, Failed: false);
    private static HeldCopy Filling(string host) => new(host, Complete: false, Failed: false);
    private static HeldCopy Failed(string host) => new(host, Complete: false, Failed: true);

    [Fact]
    public void Nothing_changes_when_the_hosts_hold_exactly_the_copy()
    {
        Assert.Null(CopySweep.Next("h2", [Whole("h2")], loadsInFlight: false));
        // Still filling is still the copy.
        Assert.Null(CopySweep.Next("h2", [Filling("h2")], loadsInFlight: false));
        Assert.Null(CopySweep.Next(null, [], loadsInFlight: false));
    }

    [Fact]
    public void A_copy_left_by_a_move_cut_short_is_dropped_and_the_copy_stays()
    {
        // The new copy was filling on h3 when the model grain's silo died; the record names h2.
        var sweep = CopySweep.Next("h2", [Whole("h2"), Filling("h3")], loadsInFlight: false);

        Assert.NotNull(sweep);
        Assert.Equal("h2", sweep.Copy);
        Assert.Equal(["h3"], sweep.Drop);
    }

    [Fact]
    public void Every_copy_but_the_models_goes_whole_or_not()
    {
        var sweep = CopySweep.Next("h2", [Whole("h4"), Whole("h2"), Failed("h1"), Filling("h3")], loadsInFlight: false);

        Assert.NotNull(sweep);
        Assert.Equal("h2", sweep.Copy);
        Assert.Equal(["h1", "h3", "h4"], sweep.Drop);
    }

    [Fact]
    public void Nothing_changes_while_a_load_is_in_flight()
    {
        // A load may read the old copy of a move, or one a load made because no GPU could feed it.
        Assert.Null(CopySweep.Next("h2", [Whole("h2"), Whole("h3")], loadsInFlight: true));
        Assert.Null(CopySweep.Next("h2", [Whole("h3")], loadsInFlight: true));
    }

    [Fact]
    public void A_copy_its_host_no_longer_holds_is_replaced_by_the_first_whole_copy_by_name()
    {
        // h2's silo came back with empty memory; h3 and h4 hold whole copies (left by moves), h1 one still filling.
        var sweep = CopySweep.Next("h2", [Filling("h1"), Whole("h4"), Whole("h3")], loadsInFlight: false);

        Assert.NotNull(sweep);
        Assert.Equal("h3", sweep.Copy);
        Assert.Equal(["h1", "h4"], sweep.Drop);
    }

    [Fact]
    public void A_failed_copy_is_dropped_and_replaced_by_a_whole_one_or_by_none()
    {
        var replaced = CopySweep.Next("h2", [Failed("h2"), Whole("h3")], loadsInFlight: false);
        Assert.NotNull(replaced);
        Assert.Equal("h3", replaced.Copy);
        Assert.Equal(["h2"], replaced.Drop);

        // No whole copy anywhere: none is the copy (the keeper makes one while GPUs hold the model); the failed one goes.
        var none = CopySweep.Next("h2", [Failed("h2")], loadsInFlight: false);
        Assert.NotNull(none);
        Assert.Null(none.Copy);
        Assert.Equal(["h2"], none.Drop);
    }

    [Fact]
    public void Without_a_copy_a_filling_one_stays_it_may_be_in_the_making_for_a_load()
    {
        // A load that no GPU can feed registers its copy before the caller adopts it.
        Assert.Null(CopySweep.Next(null, [Filling("h3")], loadsInFlight: false));

        var sweep = CopySweep.Next("h2", [Failed("h2"), Filling("h3")], loadsInFlight: false);
        Assert.NotNull(sweep);
        Assert.Null(sweep.Copy);
        Assert.Equal(["h2"], sweep.Drop);
        // Once a copy is known, the filling one that is not it goes.
        Assert.Equal(["h3"], CopySweep.Next("h4", [Whole("h4"), Filling("h3")], loadsInFlight: false)!.Drop);
    }

    [Fact]
    public void Without_a_known_copy_a_whole_one_the_hosts_hold_is_taken_rather_than_read_from_storage_again()
    {
        var sweep = CopySweep.Next(null, [Whole("h3")], loadsInFlight: false);

        Assert.NotNull(sweep);
        Assert.Equal("h3", sweep.Copy);
        Assert.Empty(sweep.Drop);
    }

    [Fact]
    public void After_a_sweep_the_hosts_hold_the_models_copy_alone_or_only_copies_still_filling()
    {
        // Seeded walk over small random situations: carrying out a sweep leaves nothing for the next one to change.
        var random = new Random(20261206);
        string[] hosts = ["h1", "h2", "h3", "h4"];
        for (int round = 0; round < 500; round++)
        {
            var held = hosts.Where(_ => random.Next(2) == 0)
                .Select(h => random.Next(3) switch { 0 => Whole(h), 1 => Filling(h), _ => Failed(h) }).ToList();
            string? copy = random.Next(5) == 0 ? null : hosts[random.Next(hosts.Length)];

            var sweep = CopySweep.Next(copy, held, loadsInFlight: false);
            string? after = sweep is null ? copy : sweep.Copy;
            var left = sweep is null ? held : [.. held.Where(h => !sweep.Drop.Contains(h.Host))];

            Assert.Null(CopySweep.Next(after, left, loadsInFlight: false));
            Assert.DoesNotContain(left, h => h.Failed && h.Host != after);
            if (after is not null) Assert.Equal([after], left.Select(h => h.Host));
            // With no copy, what is left is copies still filling (none whole: it would have become the copy).
            else Assert.All(left, h => Assert.False(h.Complete || h.Failed));
            if (after is not null && held.Any(h => h.Host == after)) Assert.False(held.Single(h => h.Host == after).Failed);
        }
    }
}
