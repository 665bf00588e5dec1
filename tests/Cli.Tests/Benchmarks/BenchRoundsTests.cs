using BlitzScale.Cli.Benchmarks;

namespace BlitzScale.Cli.Tests.Benchmarks;

/// <summary>The rounds of a testbed bench: every other round reversed, the first into the report's policies, the rest as later rounds.</summary>
public sealed class BenchRoundsTests
{
    [Fact]
    public async Task Every_other_round_runs_in_reverse_and_each_round_keeps_its_own_runs()
    {
        var first = new Dictionary<string, string>();
        var later = new List<BenchRound<string>>();
        var ran = new List<string>();
        var lines = new List<string>();
        int calls = 0;

        await BenchRounds.Run(3, ["a", "b", "c"], p => p, first, later,
            policy => { ran.Add(policy); return Task.FromResult($"{policy}{++calls}"); }, lines.Add);

        Assert.Equal(["a", "b", "c", "c", "b", "a", "a", "b", "c"], ran);
        Assert.Equal(["a1", "b2", "c3"], first.Values);
        Assert.Equal([2, 3], later.Select(r => r.Round));
        Assert.Equal(["c4", "b5", "a6"], later[0].Policies.Values);
        Assert.Equal(["round 1 of 3: a, b, c", "round 2 of 3: c, b, a", "round 3 of 3: a, b, c"], lines);
    }

    [Fact]
    public async Task A_run_told_its_round_is_told_each_rounds_number_for_every_policy()
    {
        var first = new Dictionary<string, int>();
        var later = new List<BenchRound<int>>();
        var told = new List<(string Policy, int Round)>();

        await BenchRounds.Run(2, ["a", "b"], p => p, first, later,
            (policy, round) => { told.Add((policy, round)); return Task.FromResult(round); }, _ => { });

        Assert.Equal([("a", 1), ("b", 1), ("b", 2), ("a", 2)], told);
        Assert.Equal([1, 1], first.Values);
        Assert.Equal([2, 2], later[0].Policies.Values);
    }

    [Fact]
    public async Task One_round_says_nothing_of_rounds_and_adds_no_later_round()
    {
        var first = new Dictionary<string, int>();
        var later = new List<BenchRound<int>>();
        var lines = new List<string>();

        await BenchRounds.Run(1, ["a", "b"], p => p, first, later, policy => Task.FromResult(policy.Length), lines.Add);

        Assert.Equal(["a", "b"], first.Keys);
        Assert.Empty(later);
        Assert.Empty(lines);
    }
}
