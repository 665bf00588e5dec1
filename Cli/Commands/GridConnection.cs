namespace BlitzScale.Cli.Commands;

/// <summary>
/// Which grid a command talks to: <paramref name="Cluster"/> (localhost[:port] or redis://host:port; null for the
/// embedded one-host grid), its cluster id, and how long to keep trying to reach a gateway.
/// </summary>
internal sealed record GridConnection(string? Cluster, string ClusterId, TimeSpan ConnectTimeout)
{
    /// <summary>
    /// How long a command keeps trying to reach a gateway by default: long enough for a busy silo to accept dozens of
    /// clients starting at once on a few cores (15 s was not, for 64 on 2), short enough that a missing one is reported.
    /// </summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(60);

    public static GridConnection Embedded { get; } = new(null, GridSession.DefaultClusterId, DefaultConnectTimeout);
}
