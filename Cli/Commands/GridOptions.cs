using System.CommandLine;

namespace BlitzScale.Cli.Commands;

/// <summary>The options every grid command shares: which cluster to talk to, and how long to try reaching it.</summary>
internal static class GridOptions
{
    public const double MaxConnectTimeoutSeconds = 3600;

    /// <summary><c>--cluster</c> of a command that runs an embedded grid without it (generate, serve).</summary>
    public static Option<string?> Cluster() => new("--cluster")
    {
        Description = "Cluster to use: localhost[:gatewayPort] or redis://host:port (default: an embedded single-host grid in this process)",
    };

    /// <summary><c>--cluster</c> of a command that acts on a running grid; <paramref name="purpose"/> says so (e.g. "deploy acts on a running grid").</summary>
    public static Option<string?> RunningCluster(string purpose) => new("--cluster")
    {
        Description = $"Cluster to use: localhost[:gatewayPort] or redis://host:port (required: {purpose})",
    };

    /// <summary>The <c>--cluster</c> a <see cref="RunningCluster"/> command was given.</summary>
    /// <exception cref="ArgumentException">None was given; the message says why the command needs one.</exception>
    public static string Require(string? cluster, string purpose) =>
        cluster ?? throw new ArgumentException($"--cluster is required: {purpose} (localhost[:port] or redis://host:port)");

    public static Option<string> ClusterId() => new("--cluster-id")
    {
        Description = "Orleans cluster id of a Redis-clustered grid",
        DefaultValueFactory = _ => GridSession.DefaultClusterId,
    };

    public static Option<double> ConnectTimeout() => new("--connect-timeout")
    {
        Description = "Seconds to keep trying to reach a gateway of --cluster, retrying with back-off (a localhost port that refuses connections fails after about 10 s)",
        DefaultValueFactory = _ => GridConnection.DefaultConnectTimeout.TotalSeconds,
    };

    /// <summary>The value of <c>--connect-timeout</c> as a time span.</summary>
    /// <exception cref="ArgumentException">It is not a positive number of seconds up to an hour.</exception>
    public static TimeSpan Timeout(double seconds) =>
        seconds is > 0 and <= MaxConnectTimeoutSeconds
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"--connect-timeout: expected seconds above 0 and at most {MaxConnectTimeoutSeconds:F0}, found {seconds}");

    /// <summary>The connection a command's <c>--cluster</c>, <c>--cluster-id</c>, <c>--connect-timeout</c> and TLS options ask for.</summary>
    /// <exception cref="ArgumentException">A bad timeout, or TLS options without <c>--tls-cert</c>.</exception>
    public static GridConnection Connection(ParseResult parse, Option<string?> cluster, Option<string> clusterId, Option<double> connectTimeout, TlsArguments tls) =>
        new(parse.GetValue(cluster), parse.GetValue(clusterId)!, Timeout(parse.GetValue(connectTimeout)), tls.Read(parse));
}
