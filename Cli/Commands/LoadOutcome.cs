using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// Whether a deploy or a scale got the instances it asked for: the one rule both exit codes follow. Followed to the
/// end, an instance counts once it takes requests (Serving, or live: LiveOld, LiveNew); with <c>--no-wait</c> a loading
/// one counts too (Loading, or a LiveTail, which runs a partner's tails while its own layers land). Fewer than wanted is a failure whose message names each instance that is not there and why.
/// </summary>
internal static class LoadOutcome
{
    /// <returns>Null when at least <paramref name="wanted"/> instances count; else the line to print.</returns>
    public static string? Shortfall(ModelStatus status, int wanted, bool followed)
    {
        int counted = status.Instances.Count(i => Counts(i.State, followed));
        if (counted >= wanted) return null;
        var missing = status.Instances.Where(i => !Counts(i.State, followed) && i.State is not (InstanceState.Warm or InstanceState.Draining))
            .Select(i => $"{i.Shard} on {i.Gpu} is {i.State}" + (i.Error is { } error ? $": {error}" : ""));
        string which = string.Join("; ", missing);
        return $"model \"{status.Model}\" has {counted} of the {wanted} instance(s) asked for{(followed ? " serving" : " loading or serving")}" +
               (which.Length > 0 ? $" ({which})" : "") +
               $". See `blitz status`; `blitz undeploy --model {status.Model}` removes it";
    }

    private static bool Counts(InstanceState state, bool followed) =>
        state is InstanceState.Serving or InstanceState.LiveOld or InstanceState.LiveNew
        || (!followed && state is InstanceState.Loading or InstanceState.LiveTail);
}
