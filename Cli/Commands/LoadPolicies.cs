using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Commands;

/// <summary>The command-line names of the load policies.</summary>
internal static class LoadPolicies
{
    public static LoadPolicy Parse(string name) => name.ToLowerInvariant() switch
    {
        "blitz" => LoadPolicy.Blitz,
        "sllm" => LoadPolicy.Sllm,
        "allcache" => LoadPolicy.AllCache,
        _ => throw new ArgumentException($"--policy: expected blitz, sllm or allcache, found \"{name}\""),
    };

    public static string Name(LoadPolicy policy) => policy.ToString().ToLowerInvariant();
}
