namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// The rounds of a testbed bench (<c>--rounds N</c>): the policies run N times after the one warm-up, every other round in
/// reverse order so that no policy always runs first or last on the warmed silos. The first round's runs go into the
/// report's own policies, each later round into a <see cref="BenchRound{TRun}"/>. Shared by bench live and bench replay.
/// </summary>
internal static class BenchRounds
{
    public static Task Run<TPolicy, TRun>(int rounds, IReadOnlyList<TPolicy> policies, Func<TPolicy, string> name,
        Dictionary<string, TRun> first, List<BenchRound<TRun>> later, Func<TPolicy, Task<TRun>> run, Action<string> progress) =>
        Run(rounds, policies, name, first, later, (policy, _) => run(policy), progress);

    /// <summary>As the other overload; <paramref name="run"/> is also told the round, from 1.</summary>
    public static async Task Run<TPolicy, TRun>(int rounds, IReadOnlyList<TPolicy> policies, Func<TPolicy, string> name,
        Dictionary<string, TRun> first, List<BenchRound<TRun>> later, Func<TPolicy, int, Task<TRun>> run, Action<string> progress)
    {
        for (int round = 1; round <= rounds; round++)
        {
            IReadOnlyList<TPolicy> order = round % 2 == 1 ? policies : [.. Enumerable.Reverse(policies)];
            var runs = round == 1 ? first : [];
            if (rounds > 1) progress($"round {round} of {rounds}: {string.Join(", ", order.Select(name))}");
            foreach (var policy in order) runs[name(policy)] = await run(policy, round);
            if (round > 1) later.Add(new BenchRound<TRun> { Round = round, Policies = runs });
        }
    }
}

/// <summary>One round after the first of a bench's <c>--rounds N</c>: each policy's run, in the order run.</summary>
internal sealed class BenchRound<TRun>
{
    public int Round { get; init; }
    public required Dictionary<string, TRun> Policies { get; init; }
}
