using BlitzScale.Grains.Interfaces.Security;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// Which grid a command talks to: <paramref name="Cluster"/> (localhost[:port] or redis://host:port; null for the
/// embedded one-host grid), its cluster id, how long to keep trying to reach a gateway, and the TLS files when its silos
/// require TLS.
/// </summary>
internal sealed record GridConnection(string? Cluster, string ClusterId, TimeSpan ConnectTimeout, TlsFiles? Tls = null)
{
    /// <summary>
    /// How long a command keeps trying to reach a gateway that is there by default: long enough for dozens of clients
    /// starting at once on a few cores (15 s was not, for 64 on 2: each needs about a second of CPU to start). A local
    /// gateway port where nothing listens is reported after about 10 s, without waiting this long.
    /// </summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(120);

    public static GridConnection Embedded { get; } = new(null, GridSession.DefaultClusterId, DefaultConnectTimeout);
}
