using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Commands;

/// <summary>The command-line names of the load policies.</summary>
internal static class LoadPolicyNames
{
    public static LoadPolicy Parse(string name) => name.ToLowerInvariant() switch
    {
        "blitz" => LoadPolicy.Blitz,
        "blitz-fast" => LoadPolicy.BlitzFast,
        "sllm" => LoadPolicy.Sllm,
        "allcache" => LoadPolicy.AllCache,
        _ => throw new ArgumentException($"--policy: expected blitz, blitz-fast, sllm or allcache, found \"{name}\""),
    };

    public static string Name(LoadPolicy policy) => policy == LoadPolicy.BlitzFast ? "blitz-fast" : policy.ToString().ToLowerInvariant();
}
