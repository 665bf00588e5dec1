using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Commands;

/// <summary>The command-line names of the load policies.</summary>
internal static class LoadPolicyNames
{
    // The error names the option the name came from (--policy, bench live's --policies).
    public static LoadPolicy Parse(string name, string option = "--policy") => name.ToLowerInvariant() switch
    {
        "blitz" => LoadPolicy.Blitz,
        "blitz-fast" => LoadPolicy.BlitzFast,
        "sllm" => LoadPolicy.Sllm,
        "allcache" => LoadPolicy.AllCache,
        _ => throw new ArgumentException($"{option}: expected blitz, blitz-fast, sllm or allcache, found \"{name}\""),
    };

    public static string Name(LoadPolicy policy) => policy == LoadPolicy.BlitzFast ? "blitz-fast" : policy.ToString().ToLowerInvariant();
}
