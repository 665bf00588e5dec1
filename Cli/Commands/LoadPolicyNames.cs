using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Commands;

/// <summary>The command-line names of the load policies.</summary>
internal static class LoadPolicyNames
{
    // The error names the option the name came from (--policy, bench live's --policies).
    public static LoadPolicy Parse(string name, string option = "--policy") =>
        TryParse(name, out var policy) ? policy : throw new ArgumentException($"{option}: expected blitz, blitz-fast, sllm or allcache, found \"{name}\"");

    /// <summary>The load policy named <paramref name="name"/> (any case); false for any other name.</summary>
    public static bool TryParse(string name, out LoadPolicy policy)
    {
        LoadPolicy? known = name.ToLowerInvariant() switch
        {
            "blitz" => LoadPolicy.Blitz,
            "blitz-fast" => LoadPolicy.BlitzFast,
            "sllm" => LoadPolicy.Sllm,
            "allcache" => LoadPolicy.AllCache,
            _ => null,
        };
        policy = known.GetValueOrDefault();
        return known is not null;
    }

    /// <summary>
    /// deploy's name for a fixed instance count with no autoscaler (the paper's static baseline). Not a <see cref="LoadPolicy"/>:
    /// a load policy says how parameters arrive, while static says the count never changes by itself; its instances load as
    /// blitz-fast does.
    /// </summary>
    public const string Static = "static";

    /// <summary>deploy's --policy: a load policy, or <see cref="Static"/> (blitz-fast loading, the autoscaler off).</summary>
    public static (LoadPolicy Policy, bool Static) ParseDeploy(string name, string option = "--policy")
    {
        if (name.Equals(Static, StringComparison.OrdinalIgnoreCase)) return (LoadPolicy.BlitzFast, true);
        return TryParse(name, out var policy)
            ? (policy, false)
            : throw new ArgumentException($"{option}: expected blitz, blitz-fast, sllm, allcache or {Static}, found \"{name}\"");
    }

    public static string Name(LoadPolicy policy) => policy == LoadPolicy.BlitzFast ? "blitz-fast" : policy.ToString().ToLowerInvariant();
}
