using BlitzScale.Cli.Benchmarks;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>bench chaos's seeded fault schedule: the same seed gives the same schedule, and every fault keeps to its bounds.</summary>
public sealed class ChaosPlanTests
{
    private static readonly ChaosFaultKind[] All = [ChaosFaultKind.SiloKill, ChaosFaultKind.SourceKill, ChaosFaultKind.LinkDegrade];

    [Fact]
    public void The_same_seed_gives_the_same_schedule_and_another_seed_another()
    {
        var first = ChaosPlan.Of(14, 60, All, ChaosBounds.Default);
        var again = ChaosPlan.Of(14, 60, All, ChaosBounds.Default);
        var other = ChaosPlan.Of(15, 60, All, ChaosBounds.Default);

        Assert.Equal(first, again);
        Assert.NotEqual(first.Select(f => f.AtSeconds), other.Select(f => f.AtSeconds));
        Assert.Equal(All.Order(), first.Select(f => f.Kind).Order());
        Assert.Equal([1, 2, 3], first.Select(f => f.Order));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(42)]
    [InlineData(12345)]
    public void Every_fault_starts_and_ends_inside_the_bounds_in_its_own_slot_without_overlap(int seed)
    {
        var bounds = new ChaosBounds(0.2, 0.8, 3, 7);
        const double played = 90;

        var faults = ChaosPlan.Of(seed, played, All, bounds);

        double slot = (0.8 - 0.2) * played / 3;
        for (int k = 0; k < faults.Count; k++)
        {
            var f = faults[k];
            Assert.InRange(f.HoldSeconds, 3, 7);
            Assert.InRange(f.AtSeconds, 0.2 * played + k * slot - 0.001, 0.2 * played + (k + 1) * slot);
            Assert.True(f.AtSeconds + f.HoldSeconds <= 0.2 * played + (k + 1) * slot + 0.002, $"fault {f.Order} ends after its slot");
            Assert.InRange(f.KillAtLayerShare, ChaosBounds.MinKillShare, ChaosBounds.MaxKillShare);
            if (k > 0) Assert.True(f.AtSeconds >= faults[k - 1].AtSeconds + faults[k - 1].HoldSeconds - 0.002, "faults overlap");
        }
        Assert.True(faults[^1].AtSeconds + faults[^1].HoldSeconds <= 0.8 * played + 0.002);
    }

    [Fact]
    public void A_source_is_killed_after_at_least_one_layer_and_never_after_all()
    {
        var early = new ChaosFault(1, ChaosFaultKind.SourceKill, 10, 5, 0, 0.01);
        var late = new ChaosFault(1, ChaosFaultKind.SourceKill, 10, 5, 0, 1.0);

        Assert.Equal(1, early.KillAfterLayers(12));
        Assert.Equal(11, late.KillAfterLayers(12));
        Assert.Equal(6, (early with { KillAtLayerShare = 0.5 }).KillAfterLayers(12));
    }

    [Fact]
    public void A_window_too_short_for_the_holds_and_bad_bounds_are_refused_with_what_to_change()
    {
        var error = Assert.Throws<ArgumentException>(() => ChaosPlan.Of(1, 20, All, ChaosBounds.Default));
        Assert.Contains("--played-seconds", error.Message);
        Assert.Throws<ArgumentException>(() => ChaosPlan.Of(1, 60, All, ChaosBounds.Default with { EarliestShare = 0.9 }));
        Assert.Throws<ArgumentException>(() => ChaosPlan.Of(1, 60, All, ChaosBounds.Default with { MinHoldSeconds = 9 }));
        Assert.Throws<ArgumentException>(() => ChaosPlan.Of(1, 60, [], ChaosBounds.Default));
        Assert.Throws<ArgumentException>(() => ChaosPlan.Of(1, 0, All, ChaosBounds.Default));
    }
}
