using BlitzScale.Scaling.Caching;

namespace BlitzScale.Scaling.Tests.Caching;

/// <summary>Where a model's one host copy is kept: off the host of every GPU holding the model, and made again when its host is gone.</summary>
public sealed class CopyKeeperTests
{
    private const long Image = 500;

    private static CopyRoom Room(string host, long free = 1_000, bool fast = false) => new(host, free, fast);

    [Fact]
    public void A_copy_beside_the_only_holder_moves_to_the_host_with_the_most_memory_left()
    {
        var move = CopyKeeper.Next("h1", ["h1"], [], [Room("h1"), Room("h2", 800), Room("h3", 900)], Image);

        Assert.Equal(new CopyMove("h1", "h3"), move);
    }

    [Fact]
    public void A_copy_beside_every_holder_moves_even_when_several_gpus_of_that_host_hold_the_model()
    {
        var move = CopyKeeper.Next("h1", ["h1", "h1"], [], [Room("h1"), Room("h2")], Image);

        Assert.Equal(new CopyMove("h1", "h2"), move);
    }

    [Fact]
    public void A_copy_stays_while_a_gpu_on_another_host_holds_the_model()
    {
        Assert.Null(CopyKeeper.Next("h1", ["h1", "h2"], [], [Room("h1"), Room("h2"), Room("h3")], Image));
        Assert.Null(CopyKeeper.Next("h2", ["h1"], [], [Room("h1"), Room("h2")], Image));
    }

    [Fact]
    public void A_copy_beside_the_only_holder_stays_while_a_gpu_on_another_host_loads_the_model()
    {
        Assert.Null(CopyKeeper.Next("h1", ["h1"], ["h2"], [Room("h1"), Room("h2"), Room("h3")], Image));
        // Loading beside it changes nothing: it still moves.
        Assert.Equal(new CopyMove("h1", "h2"), CopyKeeper.Next("h1", ["h1"], ["h1"], [Room("h1"), Room("h2")], Image));
    }

    [Fact]
    public void Without_a_copy_a_new_one_goes_off_the_hosts_loading_the_model_too()
    {
        var move = CopyKeeper.Next(null, ["h1"], ["h2"], [Room("h1", 5_000), Room("h2", 4_000), Room("h3", 600)], Image);

        Assert.Equal(new CopyMove(null, "h3"), move);
    }

    [Fact]
    public void Nothing_moves_where_no_other_host_has_room_for_the_image()
    {
        Assert.Null(CopyKeeper.Next("h1", ["h1"], [], [Room("h1"), Room("h2", Image - 1)], Image));
        Assert.Null(CopyKeeper.Next("h1", ["h1"], [], [Room("h1")], Image));
    }

    [Fact]
    public void Nothing_is_done_while_no_gpu_holds_the_model()
    {
        Assert.Null(CopyKeeper.Next("h1", [], [], [Room("h1"), Room("h2")], Image));
        Assert.Null(CopyKeeper.Next(null, [], [], [Room("h1"), Room("h2")], Image));
    }

    [Fact]
    public void A_host_whose_free_gpu_loads_from_memory_faster_than_the_network_goes_before_more_memory()
    {
        var move = CopyKeeper.Next("h1", ["h1"], [], [Room("h1"), Room("h2", 5_000), Room("h3", 600, fast: true)], Image);

        Assert.Equal(new CopyMove("h1", "h3"), move);
    }

    [Fact]
    public void Ties_go_to_the_first_host_by_name()
    {
        var move = CopyKeeper.Next("h1", ["h1"], [], [Room("h1"), Room("h4"), Room("h3"), Room("h2")], Image);

        Assert.Equal(new CopyMove("h1", "h2"), move);
    }

    [Fact]
    public void Without_a_copy_a_new_one_is_made_off_the_holders_hosts()
    {
        var move = CopyKeeper.Next(null, ["h2"], [], [Room("h1", 600), Room("h2", 5_000), Room("h3", 700)], Image);

        Assert.Equal(new CopyMove(null, "h3"), move);
    }

    [Fact]
    public void A_copy_whose_host_is_no_longer_live_counts_as_none()
    {
        var move = CopyKeeper.Next("h9", ["h2"], [], [Room("h1"), Room("h2")], Image);

        Assert.Equal(new CopyMove(null, "h1"), move);
    }

    [Fact]
    public void Without_a_copy_and_no_room_off_the_holders_it_is_made_beside_one()
    {
        // Beside a holder it still feeds scale-ups from memory, and the keeper moves it once another host has room.
        var move = CopyKeeper.Next(null, ["h1", "h2"], [], [Room("h1", 600), Room("h2", 900), Room("h3", 100)], Image);

        Assert.Equal(new CopyMove(null, "h2"), move);
    }

    [Fact]
    public void Without_a_copy_and_no_host_with_room_nothing_is_made()
    {
        Assert.Null(CopyKeeper.Next(null, ["h1"], [], [Room("h1", 10), Room("h2", 10)], Image));
    }

    [Fact]
    public void Following_its_moves_keeps_the_model_on_two_hosts_whatever_single_host_holds_the_gpus()
    {
        // Seeded walk: the model's GPUs jump between hosts; after each keeper step no host holds both every GPU and the copy.
        var random = new Random(20261206);
        string[] hosts = ["h1", "h2", "h3", "h4"];
        var live = hosts.Select(h => Room(h, random.Next(400, 2_000))).Where(r => r.FreeBytes >= Image).ToList();
        Assert.True(live.Count >= 2);
        string? copy = live[0].Host;
        for (int step = 0; step < 200; step++)
        {
            var holders = Enumerable.Range(0, random.Next(0, 3)).Select(_ => hosts[random.Next(hosts.Length)]).ToList();
            if (random.Next(10) == 0) copy = null;
            if (CopyKeeper.Next(copy, holders, [], live, Image) is { } move)
            {
                Assert.Equal(copy, move.From);
                Assert.NotEqual(copy, move.To);
                Assert.Contains(live, r => r.Host == move.To);
                copy = move.To;
            }
            Assert.Null(CopyKeeper.Next(copy, holders, [], live, Image));
            if (holders.Count > 0)
            {
                Assert.NotNull(copy);
                Assert.False(holders.All(h => h == copy), $"step {step}: every holder and the copy on {copy}");
            }
        }
    }
}
