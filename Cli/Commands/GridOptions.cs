using System.CommandLine;

namespace BlitzScale.Cli.Commands;

/// <summary>The options every grid command shares: which cluster to talk to.</summary>
internal static class GridOptions
{
    public static Option<string?> Cluster() => new("--cluster")
    {
        Description = "Cluster to use: localhost[:gatewayPort] or redis://host:port (default: an embedded single-host grid in this process)",
    };

    public static Option<string> ClusterId() => new("--cluster-id")
    {
        Description = "Orleans cluster id of a Redis-clustered grid",
        DefaultValueFactory = _ => GridSession.DefaultClusterId,
    };
}
